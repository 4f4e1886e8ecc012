"""The task API under the process runner and the docker runner (a real engine): variables,
connections and masking, templates, a SQL operator, big XComs and conf, signals, forged
output, what a try's environment holds, a dead token, embedded-mode timeouts."""
import glob
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from cryptography.fernet import Fernet

from cluster.control import services
from cluster.store.xcoms import pull_xcoms
from tests.conftest import RUNTIME_IMAGE, ROOT
from tests.servers import docker_client, ok, task_containers, wait_for
from workers.task_api.client import TaskApiClient, TaskApiError
from workers.task_api.protocol import Call

KEY = Fernet.generate_key().decode()
PASSWORD = "pw-secret-99x"
TOKEN = "tk-123456789"
BIG = 10 * 1024 * 1024
CONF_BLOB = "y" * 1_000_000


@pytest.fixture(scope="module", params=["process", "docker"])
def api_cluster(request, cluster_env):
    """The module's cluster with one worker of the runner under test."""
    c = cluster_env
    if request.param == "docker":
        docker_client([RUNTIME_IMAGE])
    if not getattr(c, "prepared", False):
        c.env["CHORDFLOW_FERNET_KEY"] = KEY
        c.env["CHORDFLOW_TASK_API_DIR"] = str(c.tmp / "api")
        c.scheduler()
        ok(c.cli("variables", "set", "api_token", TOKEN))
        ok(c.cli("variables", "set", "api_plain", "plainval"))
        ok(c.cli("variables", "set", "api_json", '{"n": 5}'))
        ok(c.cli("connections", "add", "api_db", "--conn-uri",
                 f"postgres://usr:{PASSWORD}@dbhost:5433/appdb?sslmode=require"))
        parts = urlsplit(c.env["CHORDFLOW_DATABASE_URL"])
        ok(c.cli("connections", "add", "cf_sql_pg", "--conn-uri",
                 parts._replace(scheme="postgres").geturl()))
        c.prepared = True
    for proc in c.procs:
        if "worker" in proc.log_path.name:
            proc.stop()
    # Host networking lets the task containers reach the test's PostgreSQL on 127.0.0.1.
    c.worker(concurrency=2, name=f"api-{request.param}", CHORDFLOW_RUNNER=request.param,
             CHORDFLOW_TASK_NETWORK="host")
    c.runner = request.param
    return c


def trigger(c, dag_id, conf=None):
    handle = c.cluster()
    try:
        run = services.trigger(handle, dag_id, conf or {})
        final = services.wait(handle, run.id, timeout=300)
        _, tis = services.run_details(handle, run.id)
        return final, {t.task_id: t for t in tis}
    finally:
        handle.close()


def xcoms(c, run_pk, task_ids, key="return_value"):
    handle = c.cluster()
    try:
        return pull_xcoms(handle.store, run_pk, task_ids, key)
    finally:
        handle.close()


def log_of(c, run_pk, task_id):
    return ok(c.cli("tasks", "logs", str(run_pk), task_id))


@pytest.fixture(scope="module")
def api_run(api_cluster):
    ok(api_cluster.cli("variables", "set", "api_pokes", "0"))
    run, tis = trigger(api_cluster, "t_task_api", {"blob": CONF_BLOB})
    return api_cluster, run, tis


def test_variables_connections_and_templates_with_masking(api_run):
    c, run, tis = api_run
    assert tis["use_secrets"].state == "success", log_of(c, run.id, "use_secrets")
    log = log_of(c, run.id, "use_secrets")
    assert f"with the {c.runner} runner" in log
    assert "host=dbhost login=usr password=*** token=*** plain=plainval" in log, log
    assert PASSWORD not in log and TOKEN not in log
    value = xcoms(c, run.id, ["use_secrets"])["use_secrets"]
    assert value == {"host": "dbhost", "port": 5433, "schema": "appdb",
                     "extra": {"sslmode": "require"}, "missing": "dflt"}
    assert ok(c.cli("variables", "get", "api_written")).strip() == "use_secrets:1"
    templated = log_of(c, run.id, "templated")
    assert "var=plainval host=dbhost pw=*** json=5" in templated and PASSWORD not in templated
    assert xcoms(c, run.id, ["use_secrets"], "conf_size") == {"use_secrets": len(CONF_BLOB)}


def test_the_try_environment_holds_no_worker_setting_or_secret(api_run):
    c, run, tis = api_run
    env = xcoms(c, run.id, ["use_secrets"], "env")["use_secrets"]
    chordflow = sorted(k for k in env if k.startswith(("CHORDFLOW_", "AIRFLOW_")))
    allowed = {"CHORDFLOW_TASK_API", "CHORDFLOW_TASK_TOKEN"}
    if c.runner == "process":
        allowed |= {"CHORDFLOW_TEST_OUT", "CHORDFLOW_VENV_CACHE"}  # a path for virtualenvs
    else:
        # paths: the DAGs folder, and the DAG file a warm container loads while it waits
        allowed |= {"CHORDFLOW_DAGS_FOLDER", "CHORDFLOW_DAG_FILE_AHEAD"}
    assert set(chordflow) <= allowed, env
    optional = {"CHORDFLOW_TEST_OUT", "CHORDFLOW_VENV_CACHE", "CHORDFLOW_DAG_FILE_AHEAD"}
    assert allowed - optional <= set(chordflow), env
    text = json.dumps(env)
    db_password = urlsplit(c.env["CHORDFLOW_DATABASE_URL"]).path  # the database's name
    for secret in (c.env["CHORDFLOW_DATABASE_URL"], c.env["CHORDFLOW_BROKER_URL"], KEY,
                   db_password, PASSWORD, TOKEN, CONF_BLOB[:50]):
        assert secret not in text


def test_ten_megabyte_xcom_and_pulls_alike_under_every_runner(api_run):
    c, run, tis = api_run
    assert tis["push_big"].state == "success" and tis["pull_big"].state == "success", \
        log_of(c, run.id, "pull_big")
    assert len(xcoms(c, run.id, ["push_big"])["push_big"]) == BIG
    assert xcoms(c, run.id, ["pull_big"])["pull_big"] == {
        "len": BIG, "many": [BIG, "dbhost", None], "upstream": 2}


def test_skip_reschedule_and_fail_without_retry_signals(api_run):
    c, run, tis = api_run
    assert tis["skip_me"].state == "skipped"
    assert "skipped: nothing to do today" in log_of(c, run.id, "skip_me")
    assert tis["fail_hard"].state == "failed" and tis["fail_hard"].try_number == 1
    assert "AirflowFailException: no point retrying" in tis["fail_hard"].error
    assert tis["poke_twice"].state == "success"
    assert "not yet; poking again at" in log_of(c, run.id, "poke_twice")
    assert ok(c.cli("variables", "get", "api_pokes")).strip() == "2"


def test_forged_marker_lines_are_only_log_text(api_run):
    c, run, tis = api_run
    assert tis["forge"].state == "success"
    assert xcoms(c, run.id, ["forge"]) == {"forge": "real"}
    assert xcoms(c, run.id, ["forge"], "forged") == {}
    log = log_of(c, run.id, "forge")
    for line in ("::chordflow-result:: 666", '::chordflow-xcom:: {"key": "forged", "value": 1}',
                 "::chordflow-skip:: forged", "::chordflow-fail:: forged",
                 "::chordflow-reschedule:: 2030-01-01T00:00:00+00:00",
                 "::chordflow-result:: {broken"):
        assert line in log


def test_sql_operator_on_a_postgres_connection(api_cluster):
    run, tis = trigger(api_cluster, "t_sql_ops")
    assert run.state == "success", log_of(api_cluster, run.id, "select")
    assert xcoms(api_cluster, run.id, ["select"])["select"][0][:2] == [1, "apple!"]


def test_a_token_is_refused_once_its_try_ended(api_cluster):
    run, tis = trigger(api_cluster, "t_task_token")
    env = xcoms(api_cluster, run.id, ["show_token"])["show_token"]
    assert env["CHORDFLOW_TASK_API"].startswith("unix://") and len(env["CHORDFLOW_TASK_TOKEN"]) > 30
    refusals = []
    for path in glob.glob(str(api_cluster.tmp / "api" / "*" / "api.sock")):
        with pytest.raises(TaskApiError) as refused:
            TaskApiClient(f"unix://{path}", env["CHORDFLOW_TASK_TOKEN"]).call(Call.CONTEXT)
        if "unreachable" not in str(refused.value):  # a stopped worker's socket is left
            assert "unknown, revoked or expired" in str(refused.value)
            refusals.append(path)
    assert refusals  # the live worker processes' APIs said no


@pytest.mark.parametrize("api_cluster", ["docker"], indirect=True)
def test_docker_inspect_of_a_running_task_container_shows_no_conf_xcom_or_secret(api_cluster):
    engine = docker_client([RUNTIME_IMAGE])
    handle = api_cluster.cluster()
    try:
        run = services.trigger(handle, "t_task_token", {"c": "conf-value-5d3a9b"})
        # this cluster's container (other modules' databases number their runs too)
        container = wait_for(
            lambda: task_containers(engine, str(handle.store.url), run.id, "hold-"), 120,
            what="the hold container")[0]
        container.reload()
        attrs = json.dumps(container.attrs)
        env = container.attrs["Config"]["Env"]
        services.wait(handle, run.id, timeout=120)
    finally:
        handle.close()
    assert [e for e in env if e.startswith("CHORDFLOW_TASK_API=unix://")]
    assert [e for e in env if e.startswith("CHORDFLOW_TASK_TOKEN=")]
    ours = {e.split("=")[0] for e in env if e.startswith("CHORDFLOW_")}
    required = {"CHORDFLOW_DAGS_FOLDER", "CHORDFLOW_TASK_API", "CHORDFLOW_TASK_TOKEN"}
    assert required <= ours <= required | {"CHORDFLOW_DAG_FILE_AHEAD"}, env
    for secret in ("conf-value-5d3a9b", "xcom-value-8c1f2e", PASSWORD, TOKEN, KEY,
                   api_cluster.env["CHORDFLOW_DATABASE_URL"]):
        assert secret not in attrs


def run_embedded(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": "process",
                "CHORDFLOW_QUEUED_TIMEOUT": "600", "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_execution_timeout_stops_process_runner_tries_in_embedded_mode(tmp_path):
    done = run_embedded(tmp_path, "run", "tests/dags/task_api.py", "--dag-id",
                        "t_process_timeout")
    assert done.returncode == 1, done.stdout + done.stderr
    for task_id in ("bash_sleep", "python_sleep"):
        log = run_embedded(tmp_path, "tasks", "logs", "1", task_id).stdout
        assert "sleeping" in log and "execution_timeout of 2s exceeded" in log, log
        assert "woke" not in log.splitlines(), log  # printed alone on a line, had it slept on
        if task_id == "python_sleep":  # SIGTERM ends the try through the operator's on_kill
            assert "on_kill: cleaning up" in log and "AirflowTaskTerminated" in log, log
    from cluster.config import Settings
    from cluster.control.services import Cluster

    handle = Cluster.open(Settings.from_env({"CHORDFLOW_HOME": str(tmp_path / "state")}))
    try:
        _, tis = services.run_details(handle, 1)
    finally:
        handle.close()
    # Each stopped at its 2 s deadline, far from the 20 s it would have slept.
    durations = {t.task_id: (t.end_date - t.start_date).total_seconds() for t in tis}
    assert {t.state for t in tis} == {"failed"} and max(durations.values()) < 10, durations


def test_cancel_stops_a_process_runner_try_in_embedded_mode(tmp_path):
    from cluster.config import Settings
    from cluster.control.services import Cluster

    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": "process",
                "CHORDFLOW_QUEUED_TIMEOUT": "600", "PYTHONPATH": str(ROOT),
                "CHORDFLOW_HEARTBEAT_INTERVAL": "0.5"})
    run = subprocess.Popen([sys.executable, "-m", "cluster.cli", "run", "tests/dags/task_api.py",
                            "--dag-id", "t_process_slow"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def started():
            if run.poll() is not None:
                raise AssertionError(run.stdout.read())
            handle = Cluster.open(Settings.from_env(env))
            try:
                return "started" in "".join(t for _, t in services.task_logs(handle, 1, "slow"))
            except Exception:
                return False
            finally:
                handle.close()

        wait_for(started, 120, interval=0.2, what="the slow try to start")
        assert run_embedded(tmp_path, "runs", "cancel", "1").returncode == 0
        out, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1, out
    log = run_embedded(tmp_path, "tasks", "logs", "1", "slow").stdout
    assert "TaskCancelled" in log and "woke" not in log, log


def test_each_process_runner_try_is_a_fresh_process(tmp_path):
    """Tries fork from a template process loaded ahead of them, yet each runs in a process
    of its own, used once: no try sees what an earlier try left in its module."""
    done = run_embedded(tmp_path, "run", "tests/dags/task_api.py", "--dag-id", "t_process_fresh")
    assert done.returncode == 0, done.stdout + done.stderr
    seen = {}
    for task_id in ("one", "two", "three"):
        log = run_embedded(tmp_path, "tasks", "logs", "1", task_id).stdout
        line = next(l for l in log.splitlines() if l.startswith("fresh: "))
        seen[task_id] = dict(part.split("=") for part in line.split()[1:])
    assert [s["tries-here"] for s in seen.values()] == ["1", "1", "1"], seen
    assert len({s["pid"] for s in seen.values()}) == 3, seen
