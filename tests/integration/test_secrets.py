"""Connections and variables through the CLI, used by tasks, masked in logs and renders."""
import base64
import json
import time

import pytest
from cryptography.fernet import Fernet

from cluster.control import services
from tests.servers import ok

KEY = Fernet.generate_key().decode()
PASSWORD = "s3cr3t-Pa55word"
API_KEY = "ak-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def secret_cluster(cluster_env):
    cluster_env.env["CHORDFLOW_FERNET_KEY"] = KEY
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    return cluster_env


def test_connections_cli_round_trip_encrypted(secret_cluster):
    c = secret_cluster
    ok(c.cli("connections", "add", "my_db", "--conn-uri",
             f"postgresql://app_user:{PASSWORD}@db.internal:6543/appdb?sslmode=require"))
    listed = ok(c.cli("connections", "list"))
    assert "my_db" in listed and "db.internal" in listed and PASSWORD not in listed
    shown = json.loads(ok(c.cli("connections", "get", "my_db", "--output", "json")))
    assert shown["password"] == "***" and shown["port"] == 6543 and shown["schema"] == "appdb"
    assert shown["conn_type"] == "postgres" and json.loads(shown["extra"]) == {"sslmode": "require"}
    uri = ok(c.cli("connections", "get", "my_db", "--output", "uri", "--reveal")).strip()
    assert uri == f"postgres://app_user:{PASSWORD}@db.internal:6543/appdb?sslmode=require"
    # at rest the password is a Fernet token, not the text
    from sqlalchemy import text
    handle = c.cluster()
    with handle.store.engine.connect() as conn:
        stored, enc = conn.execute(text(
            "SELECT password, is_encrypted FROM connection WHERE conn_id='my_db'")).one()
    handle.close()
    assert enc and PASSWORD not in stored and Fernet(KEY.encode()).decrypt(stored.encode()).decode() == PASSWORD
    # parts instead of a URI, a duplicate, a bad URI, a missing one
    ok(c.cli("connections", "add", "other", "--conn-type", "http", "--conn-host", "example.com",
             "--conn-login", "u", "--conn-password", "pw-xyz", "--conn-port", "8080"))
    dup = c.cli("connections", "add", "other", "--conn-uri", "http://h")
    assert dup.returncode == 2 and "already exists" in dup.stderr and len(dup.stderr.splitlines()) == 1
    bad = c.cli("connections", "add", "nope", "--conn-uri", "not a uri")
    assert bad.returncode == 2 and "invalid connection URI" in bad.stderr
    ok(c.cli("connections", "delete", "other"))
    gone = c.cli("connections", "get", "other")
    assert gone.returncode == 2 and "isn't defined" in gone.stderr


def test_variables_cli_masks_sensitive_names(secret_cluster):
    c = secret_cluster
    ok(c.cli("variables", "set", "api_key", API_KEY))
    ok(c.cli("variables", "set", "region", "eu-west-3"))
    ok(c.cli("variables", "set", "cfg", '{"a": 7, "token": "tok-123456"}', "-j"))
    listed = ok(c.cli("variables", "list"))
    assert "eu-west-3" in listed and API_KEY not in listed and "tok-123456" not in listed
    assert ok(c.cli("variables", "get", "api_key")).strip() == "***"
    assert ok(c.cli("variables", "get", "api_key", "--reveal")).strip() == API_KEY
    assert ok(c.cli("variables", "get", "region")).strip() == "eu-west-3"
    # the environment overrides the store, in both spellings
    assert ok(c.cli("variables", "get", "region", CHORDFLOW_VAR_REGION="env-1")).strip() == "env-1"
    assert ok(c.cli("variables", "get", "region", AIRFLOW_VAR_REGION="env-2")).strip() == "env-2"
    missing = c.cli("variables", "get", "nope")
    assert missing.returncode == 2 and "Variable nope does not exist" in missing.stderr
    assert ok(c.cli("variables", "get", "nope", "-d", "dflt")).strip() == "dflt"
    ok(c.cli("variables", "set", "tmp", "x"))
    ok(c.cli("variables", "delete", "tmp"))
    assert c.cli("variables", "delete", "tmp").returncode == 2


def _run(c, dag_id, *extra):
    done = c.cli("trigger", dag_id, "--wait", *extra)
    handle = c.cluster()
    run = services.list_runs(handle, dag_id, limit=1)[0]
    handle.close()
    return done, run


def test_tasks_get_secrets_and_logs_mask_them(secret_cluster):
    c = secret_cluster
    done, run = _run(c, "t_secrets", "--conf", '{"c": "confval"}')
    assert done.returncode == 0, done.stdout + done.stderr + c.procs[-1].output[-3000:]
    seen = json.loads((c.tmp / "out" / f"secrets-{run.run_id}.json").read_text())
    assert seen["password"] == PASSWORD and seen["api_key"] == API_KEY
    assert seen["host"] == "db.internal" and seen["extra"] == {"sslmode": "require"}
    assert seen["cfg"] == {"a": 7, "token": "tok-123456"}
    assert seen["uri"].startswith("postgres://app_user:")
    log = ok(c.cli("tasks", "logs", str(run.id), "use_secrets"))
    assert "with password ***" in log and "the api_key is ***" in log
    assert PASSWORD not in log and API_KEY not in log
    assert "the region is eu-west-3" in log and "missing -> fallback" in log
    assert ok(c.cli("variables", "get", "written_by_task")).strip().endswith(":7")


def test_template_context_and_rendered_fields(secret_cluster):
    c = secret_cluster
    done, run = _run(c, "t_secrets", "--conf", '{"c": "confval"}', "--logical-date", "2024-03-05")
    assert done.returncode == 0, done.stdout + done.stderr
    log = ok(c.cli("tasks", "logs", str(run.id), "templated"))
    expected = (f"ds=2024-03-05 nodash=20240305 ts=2024-03-05T00:00:00+00:00 next=2024-03-06 "
                f"fmt=05/03/2024 start=00 end=2024-03-06 prev=2024-03-04 params=px conf=confval "
                f"run={run.run_id} ti=templated task=templated dag=t_secrets var=eu-west-3 json=7 "
                f"host=db.internal pw=*** macro=from-macro filter=ABC! dt=2020 td=7")
    assert expected in log, log
    rendered = ok(c.cli("tasks", "render", str(run.id), "templated"))
    assert "# property: bash_command" in rendered and "pw=*** " in rendered
    assert PASSWORD not in rendered and "var=eu-west-3" in rendered
    # a template file found through template_searchpath, its secret masked in log and render
    log = ok(c.cli("tasks", "logs", str(run.id), "from_file"))
    assert "greet eu-west-3 from file on 2024-03-05 key=***" in log and API_KEY not in log
    rendered = ok(c.cli("tasks", "render", str(run.id), "from_file"))
    assert 'echo "greet $WHO from file on 2024-03-05 key=***"' in rendered
    assert '"WHO": "eu-west-3"' in rendered


def test_celery_messages_carry_no_values(secret_cluster, redis_server):
    """The broker only ever sees ids: no password, variable value or conf in a message."""
    import redis

    from tests.conftest import REDIS_DB

    c = secret_cluster
    client = redis.Redis.from_url(f"{redis_server.url}/{REDIS_DB}")
    seen = []
    # Stop the worker so the messages stay in the queue where they can be read raw.
    worker = next(p for p in c.procs if "worker" in p.log_path.name and p.proc.poll() is None)
    worker.stop()
    try:
        done = c.cli("trigger", "t_secrets", "--conf", '{"c": "conf-secret-777"}')
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen:
            for key in client.keys("*"):
                if client.type(key) == b"list":
                    seen.extend(client.lrange(key, 0, -1))
            time.sleep(0.2)
        assert seen, "no message queued"
        raw = b"\n".join(seen)
        decoded = raw + b"".join(
            base64.b64decode(json.loads(m).get("body", "")) for m in seen
            if m.startswith(b"{") and json.loads(m).get("body"))
        for secret in (PASSWORD, API_KEY, "eu-west-3", "tok-123456", "conf-secret-777"):
            assert secret.encode() not in decoded
        assert b"use_secrets" in decoded  # the ids are there
    finally:
        c.worker(concurrency=2)
