"""A real Flower process watches the cluster: tasks appear as `dag_id.task_id`, auth is required."""
import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.servers import free_port, wait_for


@pytest.fixture(scope="module")
def flower(running_cluster):
    port = free_port()
    log = open(running_cluster.tmp / "flower.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cluster.celery_app:app", "flower",
         f"--port={port}", "--address=127.0.0.1", "--basic-auth=admin:flower-pass-1"],
        env=running_cluster.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _status(url + "/healthcheck") == 200, 60, what="Flower to answer")
    yield url
    proc.terminate()
    proc.wait(20)


def _status(url, auth=None):
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def _get(url, auth):
    request = urllib.request.Request(url)
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_flower_shows_tasks_by_dag_and_task_id_and_requires_auth(flower, running_cluster):
    assert _status(flower + "/api/tasks") == 401
    assert _status(flower + "/api/tasks", "admin:wrong") == 401

    def names():
        tasks = _get(flower + "/api/tasks?limit=500", "admin:flower-pass-1")
        return {t.get("name") for t in tasks.values()}

    def run_and_look():
        # Flower only sees events sent after it subscribed: run until it has seen one run.
        assert running_cluster.cli("trigger", "t_chain", "--wait").returncode == 0
        return {"t_chain.a", "t_chain.b", "t_chain.c"} <= names() and names()

    shown = wait_for(run_and_look, 90, interval=0.5, what="Flower to list the run's tasks")
    assert "chordflow.run_task_instance" not in shown
    workers = _get(flower + "/api/workers?refresh=1", "admin:flower-pass-1")
    assert workers, "Flower sees no worker"
