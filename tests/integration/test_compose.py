"""`docker-compose.yml` brings the whole cluster up: two workers, Flower with auth, a real run."""
import base64
import json
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from tests.conftest import ROOT
from tests.servers import free_port, missing, wait_for

IMAGES = ["chordflow/cluster:latest", "chordflow/runtime:latest"]


def _compose_cmd():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return ["docker", "compose"] if probe.returncode == 0 else None


def _image(client, public, standin):
    for name in (public, standin):
        try:
            client.images.get(name)
            return name
        except Exception:
            continue
    missing(f"neither {public} nor {standin} is available (bash images/build.sh)")


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:
        missing(f"no Docker engine: {exc}")
    cmd = _compose_cmd()
    if cmd is None:
        missing("neither docker-compose nor the compose plugin is installed")
    for image in IMAGES:
        try:
            client.images.get(image)
        except Exception:
            missing(f"image {image} is not built (bash images/build.sh)")
    project = "cftest" + uuid.uuid4().hex[:6]
    port = free_port()
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text("\n".join([
        "POSTGRES_PASSWORD=pg-" + uuid.uuid4().hex[:8],
        "REDIS_PASSWORD=rd-" + uuid.uuid4().hex[:8],
        "FLOWER_BASIC_AUTH=admin:fl-pass-9",
        f"FLOWER_PORT={port}",
        "WORKER_CONCURRENCY=2",
        f"CHORDFLOW_DAGS_HOST_PATH={ROOT / 'dagdefs'}",
        f"REDIS_IMAGE={_image(client, 'redis:7', 'chordflow/redis-standin:latest')}",
        f"POSTGRES_IMAGE={_image(client, 'postgres:15', 'chordflow/postgres-standin:latest')}",
    ]) + "\n")
    base = cmd + ["-p", project, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml")]

    def run(*args, timeout=600):
        return subprocess.run(base + list(args), cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)

    up = run("up", "-d", "--scale", "worker=2")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _status(url + "/healthcheck") == 200, 180, interval=1,
                 what="Flower in compose")
        yield run, url
    finally:
        logs = run("logs", "--no-color", timeout=120)
        (env_file.parent / "compose.log").write_text(logs.stdout + logs.stderr)
        run("down", "-v", "--remove-orphans", timeout=300)


def _status(url, auth=None):
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def _json(url, auth):
    req = urllib.request.Request(url)
    req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_compose_cluster_runs_a_dag_on_two_workers_behind_flower_auth(compose):
    run, url = compose
    ps = run("ps", "-q", "worker")
    assert len(ps.stdout.split()) == 2, ps.stdout + ps.stderr
    done = run("exec", "-T", "scheduler", "chordflow", "trigger", "example_etl", "--wait")
    if done.returncode != 0:
        extract = run("exec", "-T", "scheduler", "chordflow", "tasks", "logs", "1", "extract")
        pytest.fail(done.stdout + done.stderr + extract.stdout, pytrace=False)
    assert "run 1 (example_etl" in done.stdout and "success" in done.stdout
    logs = run("exec", "-T", "scheduler", "chordflow", "tasks", "logs", "1", "report")
    assert "with the docker runner" in logs.stdout and " orders, total " in logs.stdout

    assert _status(url + "/api/workers") == 401
    workers = wait_for(lambda: len(_json(url + "/api/workers?refresh=1", "admin:fl-pass-9")) >= 2
                       and _json(url + "/api/workers", "admin:fl-pass-9"), 60, interval=1,
                       what="Flower to see both workers")
    assert len(workers) >= 2
    names = {t["name"] for t in _json(url + "/api/tasks", "admin:fl-pass-9").values()}
    assert "example_etl.extract" in names and "example_etl.report" in names
