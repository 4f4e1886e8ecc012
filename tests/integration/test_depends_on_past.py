"""depends_on_past and wait_for_downstream through the CLI, as Airflow runs them."""
import pytest

from cluster.control import services
from tests.servers import ok, wait_for


@pytest.fixture(scope="module")
def past(cluster_env):
    cluster_env.scheduler()
    worker = cluster_env.worker(concurrency=4)
    cluster_env.worker_proc = worker
    return cluster_env


def states(c, ref):
    handle = c.cluster()
    try:
        run, tis = services.run_details(handle, ref)
    finally:
        handle.close()
    return run.state, {t.task_id: t.state for t in tis}


def test_a_task_waits_for_its_previous_instance(past):
    # The first run has no previous run: it runs (and fails on purpose).
    done = past.cli("trigger", "past_dop", "--wait", "--run-id", "d1",
                    "--logical-date", "2024-01-01", "--conf", '{"fail": "yes"}')
    assert done.returncode == 1 and states(past, "past_dop/d1")[1]["gate"] == "failed"
    ok(past.cli("trigger", "past_dop", "--run-id", "d2", "--logical-date", "2024-01-02"))
    wait_for(lambda: "past_dop.gate run=" in past.worker_proc.output and
             "(run d1) is in the state 'failed'" in past.worker_proc.output, 60,
             what="the second run's gate waiting for the first run's")
    assert states(past, "past_dop/d2")[1]["gate"] in ("none", "queued")
    # A run at an earlier logical date has no previous run: it does not wait.
    ok(past.cli("trigger", "past_dop", "--wait", "--run-id", "d0", "--logical-date", "2023-12-31"))
    assert states(past, "past_dop/d2")[1]["gate"] in ("none", "queued")
    # Once the previous instance succeeds, the waiting one goes on.
    ok(past.cli("tasks", "mark", "past_dop/d1", "gate", "success"))
    wait_for(lambda: states(past, "past_dop/d2")[0] in ("success", "failed"), 60,
                    what="the second run to finish")
    assert states(past, "past_dop/d2") == ("success", {"gate": "success", "after": "success"})


def test_wait_for_downstream_waits_for_the_previous_runs_direct_downstream(past):
    past.cli("trigger", "past_wfd", "--wait", "--run-id", "w1",
                    "--logical-date", "2024-01-01", "--conf", '{"fail": "yes"}')
    assert states(past, "past_wfd/w1")[1] == {"first": "success", "second": "failed"}
    ok(past.cli("trigger", "past_wfd", "--run-id", "w2", "--logical-date", "2024-01-02"))
    wait_for(lambda: "haven't completed (and wait_for_downstream is True): second"
             in past.worker_proc.output, 60, what="w2's first waiting for w1's second")
    assert states(past, "past_wfd/w2")[1]["first"] in ("none", "queued")
    ok(past.cli("tasks", "mark", "past_wfd/w1", "second", "success"))
    wait_for(lambda: states(past, "past_wfd/w2")[0] in ("success", "failed"), 60,
             what="w2 to finish")
    assert states(past, "past_wfd/w2") == ("success", {"first": "success", "second": "success"})
