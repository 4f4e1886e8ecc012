"""Pools hold across workers; max_active_tis_per_dag; queue= routes to the workers of a queue."""
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.servers import ok


@pytest.fixture(scope="module")
def pooled(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=3, CF_WORKER="w1")
    cluster_env.worker(concurrency=3, CF_WORKER="w2")
    cluster_env.start("worker", "-c", "1", "-Q", "special", "-n", "special@%h",
                      marker="ready.", CF_WORKER="special-worker")
    return cluster_env


def most_at_once(c, name):
    """The most tasks that were between their recorded start and end at one moment."""
    events = []
    for line in (Path(c.env["CHORDFLOW_TEST_OUT"]) / name).read_text().splitlines():
        _, kind, at = line.split()
        events.append((float(at), 1 if kind == "start" else -1))
    most = now = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        now += step
        most = max(most, now)
    return most, len(events) // 2


def test_a_pool_bounds_running_tasks_across_workers(pooled):
    c = pooled
    out = ok(c.cli("pools", "set", "tiny", "2", "--description", "two at a time"))
    assert "pool tiny: 2 slot(s)" in out
    ok(c.cli("trigger", "p_pool", "--wait"))
    most, count = most_at_once(c, "pool.txt")
    assert count == 6 and most == 2  # 6 worker processes could have run all six at once
    listed = ok(c.cli("pools", "list"))
    assert "tiny" in listed and "two at a time" in listed
    bad = c.cli("pools", "set", "bad name", "2")
    assert bad.returncode == 2 and "pool name must be" in bad.stderr


def test_max_active_tis_per_dag_spans_runs(pooled):
    c = pooled
    for i in range(3):
        ok(c.cli("trigger", "p_per_dag", "--run-id", f"r{i}"))
    handle = c.cluster()
    from cluster.control import services
    for i in range(3):
        run = services.wait(handle, services.run_details(handle, f"p_per_dag/r{i}")[0].id, 60)
        assert run.state == "success"
    handle.close()
    most, count = most_at_once(c, "per_dag.txt")
    assert count == 3 and most == 1


def test_queue_routes_to_the_workers_that_consume_it(pooled):
    c = pooled
    ok(c.cli("trigger", "p_queue", "--wait"))
    assert (Path(c.env["CHORDFLOW_TEST_OUT"]) / "queue.txt").read_text().split()[0] == \
        "special-worker"


def test_an_unknown_pool_fails_the_task_with_the_reason(pooled):
    c = pooled
    done = c.cli("trigger", "p_no_pool", "--wait")
    assert done.returncode == 1
    handle = c.cluster()
    with handle.store.engine.connect() as conn:
        error = conn.execute(text("SELECT error FROM task_instance WHERE dag_id='p_no_pool'")).scalar()
    handle.close()
    assert "pool 'nope' does not exist" in error and "chordflow pools set nope" in error


def test_priority_weight_orders_a_fan_out(pooled):
    c = pooled  # the "special" queue has one worker process: it runs them one by one
    ok(c.cli("trigger", "p_priority", "--wait"))
    starts = [l.split()[0] for l in (Path(c.env["CHORDFLOW_TEST_OUT"]) / "priority.txt")
              .read_text().splitlines() if l.split()[1] == "start"]
    assert starts == ["w10", "w8", "w5", "w3", "w2", "w1"]
