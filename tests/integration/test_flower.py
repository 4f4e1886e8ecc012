"""A real Flower process watches the cluster: tasks appear as `dag_id.task_id`, auth is required."""
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.servers import free_port, http_json, http_status, wait_for


@pytest.fixture(scope="module")
def flower(running_cluster):
    port = free_port()
    log = open(running_cluster.tmp / "flower.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cluster.celery_app:app", "flower",
         f"--port={port}", "--address=127.0.0.1", "--basic-auth=admin:flower-pass-1"],
        env=running_cluster.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_status(url + "/healthcheck") == 200, 60, what="Flower to answer")
    yield url
    proc.terminate()
    proc.wait(20)


def test_flower_shows_tasks_by_dag_and_task_id_and_requires_auth(flower, running_cluster):
    assert http_status(flower + "/api/tasks") == 401
    assert http_status(flower + "/api/tasks", "admin:wrong") == 401

    def names():
        tasks = http_json(flower + "/api/tasks?limit=500", "admin:flower-pass-1")
        return {t.get("name") for t in tasks.values()}

    def run_and_look():
        # Flower only sees events sent after it subscribed: run until it has seen one run.
        assert running_cluster.cli("trigger", "t_chain", "--wait").returncode == 0
        return {"t_chain.a", "t_chain.b", "t_chain.c"} <= names() and names()

    shown = wait_for(run_and_look, 90, interval=0.5, what="Flower to list the run's tasks")
    assert {"t_chain.a", "t_chain.b", "t_chain.c"} <= shown
    workers = http_json(flower + "/api/workers?refresh=1", "admin:flower-pass-1")
    assert workers, "Flower sees no worker"
