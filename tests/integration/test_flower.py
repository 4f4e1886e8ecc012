"""A real Flower process watches the cluster: tasks appear as `dag_id.task_id`, auth is required."""
import socket
import subprocess
import sys
import uuid

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
        tasks = http_json(flower + "/api/tasks?limit=2000", "admin:flower-pass-1")
        return [t.get("name") for t in tasks.values()]

    def run_and_look():
        # Flower only sees events sent after it subscribed: run until it has seen one run.
        assert running_cluster.cli("trigger", "t_chain", "--wait").returncode == 0
        return {"t_chain.a", "t_chain.b", "t_chain.c"} <= set(names())

    wait_for(run_and_look, 90, interval=0.5, what="Flower to list the run's tasks")
    # Chords (diamond, 30-wide fan-out/fan-in) and a non-series-parallel join, several
    # times: the name of each task must survive every path through Celery's canvas and
    # every order in which the sender's and the worker's events reach Flower.
    for dag_id in ("t_diamond", "t_wide", "t_nonsp", "t_chain", "t_wide", "t_diamond"):
        assert running_cluster.cli("trigger", dag_id, "--wait").returncode == 0

    expected = ({f"t_chain.{t}" for t in "abc"} | {f"t_nonsp.{t}" for t in "abcd"}
                | {f"t_diamond.{t}" for t in ("top", "left", "right", "bottom")}
                | {"t_wide.head", "t_wide.tail"} | {f"t_wide.p{i}" for i in range(30)})
    shown = wait_for(lambda: expected <= set(names()) and names(), 30, interval=0.5,
                     what="Flower to list every task of the runs")
    unnamed = [n for n in shown if not n or n.startswith("chordflow.")]
    assert unnamed == [], f"{len(unnamed)} of {len(shown)} tasks shown by their type: {unnamed[:5]}"
    assert set(shown) - expected <= {"t_nonsp.c.join"}, set(shown) - expected
    workers = http_json(flower + "/api/workers?refresh=1", "admin:flower-pass-1")
    assert workers, "Flower sees no worker"


def test_an_autoscaling_worker_grows_under_load_and_is_steered_from_flower(flower, running_cluster):
    """`chordflow worker --autoscale MAX,MIN`: Celery adds processes for queued work, and
    Flower's autoscale endpoint changes the bounds of the running worker."""
    auth = "admin:flower-pass-1"
    name = f"auto-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    running_cluster.start("worker", "--autoscale", "3,1", "-Q", "autoscale", "-n", name,
                          marker="ready.")

    def autoscaler():
        info = http_json(flower + f"/api/workers?refresh=1&workername={name}", auth).get(name)
        return info and info["stats"].get("autoscaler")

    assert wait_for(autoscaler, 30, what="Flower to see the autoscaling worker") \
        and autoscaler()["max"] == 3 and autoscaler()["min"] == 1

    # Four 2 s tasks on the worker's own queue: it must grow past its single process.
    done = running_cluster.cli("trigger", "t_autoscale", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    spans: dict[str, dict[str, float]] = {}
    for line in (running_cluster.tmp / "out" / "autoscale").read_text().splitlines():
        task, pid, edge, at = line.split()
        spans.setdefault(task, {"pid": float(pid)})[edge] = float(at)
    assert len(spans) == 4
    overlapping = [(a, b) for a in spans for b in spans if a < b
                   and spans[a]["start"] < spans[b]["end"] and spans[b]["start"] < spans[a]["end"]]
    assert overlapping, f"the tasks ran one at a time: the pool never grew ({spans})"
    assert len({s["pid"] for s in spans.values()}) >= 2

    # Flower steers the bounds: a minimum of 2 grows the pool at once.
    http_json(flower + f"/api/worker/pool/autoscale/{name}?min=2&max=4", auth, method="POST")
    bounds = wait_for(lambda: (autoscaler() or {}).get("max") == 4 and autoscaler(), 30,
                      what="the new autoscale bounds")
    assert bounds["min"] == 2

    def processes():
        info = http_json(flower + f"/api/workers?refresh=1&workername={name}", auth)[name]
        return len(info["stats"]["pool"]["processes"])

    wait_for(lambda: processes() >= 2, 30, what="the pool to grow to the new minimum")
