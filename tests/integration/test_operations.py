"""clear, mark and cancel through the CLI, against real workers, Redis and PostgreSQL."""
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.servers import ok, wait_for


@pytest.fixture(scope="module")
def ops(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=3)
    return cluster_env


def states(c, run_id):
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            run = conn.execute(text("SELECT id, state FROM dag_run WHERE run_id = :r"),
                               {"r": run_id}).one()
            tis = dict(conn.execute(text("SELECT task_id, state FROM task_instance "
                                         "WHERE run_pk = :p"), {"p": run.id}).all())
        return run.state, tis
    finally:
        handle.close()


def lines(c, name):
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / name
    return [l.rsplit(" ", 1)[0] for l in path.read_text().splitlines()] if path.exists() else []


def test_clear_reruns_only_the_chosen_tasks_and_their_downstream(ops):
    c = ops
    done = c.cli("trigger", "o_ops", "--run-id", "r1", "--wait")
    assert done.returncode == 1
    assert states(c, "r1") == ("failed", {"a": "success", "b": "failed", "c": "upstream_failed"})
    (Path(c.env["CHORDFLOW_TEST_OUT"]) / "b-may-pass").write_text("yes")
    out = ok(c.cli("tasks", "clear", "o_ops/r1", "--task", "^b$", "--downstream", "--wait"))
    assert "cleared 2 task(s): b, c" in out
    assert states(c, "r1") == ("success", {"a": "success", "b": "success", "c": "success"})
    assert lines(c, "ops.txt") == ["a try=1", "b try=1", "b try=2", "c try=1"]
    logs = ok(c.cli("tasks", "logs", "o_ops/r1", "b"))
    assert "--- try 1 ---" in logs and "--- try 2 ---" in logs  # the first try's log is kept
    # everything again: every task takes its next try
    ok(c.cli("tasks", "clear", "o_ops/r1", "--wait"))
    assert lines(c, "ops.txt")[4:] == ["a try=2", "b try=3", "c try=2"]
    bad = c.cli("tasks", "clear", "o_ops/r1", "--task", "zzz")
    assert bad.returncode == 2 and "no task of o_ops matches" in bad.stderr
    bad = c.cli("tasks", "clear", "o_ops/r1", "--task", "(")
    assert bad.returncode == 2 and "not a regular expression" in bad.stderr


def test_mark_sets_a_state_and_the_run_follows(ops):
    c = ops
    os.remove(Path(c.env["CHORDFLOW_TEST_OUT"]) / "b-may-pass")
    assert c.cli("trigger", "o_ops", "--run-id", "r2", "--wait").returncode == 1
    out = ok(c.cli("tasks", "mark", "o_ops/r2", "b", "success"))
    assert "b: failed -> success" in out
    ok(c.cli("tasks", "mark", "o_ops/r2", "c", "success"))
    assert states(c, "r2") == ("success", {"a": "success", "b": "success", "c": "success"})
    bad = c.cli("tasks", "mark", "o_ops/r2", "b", "running")
    assert bad.returncode == 2 and "is not one of" in bad.stderr


def _running(c, run_id, task_id):
    return states(c, run_id)[1].get(task_id) == "running"


def _sleeping(seconds: str) -> bool:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if f"sleep {seconds}".encode() in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" "):
                return True
        except OSError:
            pass
    return False


def test_cancel_stops_what_runs_and_fails_the_run(ops):
    c = ops
    ok(c.cli("trigger", "o_long", "--run-id", "long1"))
    wait_for(lambda: _running(c, "long1", "bash_sleep") and _running(c, "long1", "py_sleep"), 30)
    wait_for(lambda: _sleeping("41.5"), 10, what="the bash task's child")
    out = ok(c.cli("runs", "cancel", "o_long/long1"))
    assert "cancelled" in out and "bash_sleep" in out and "py_sleep" in out
    assert states(c, "long1") == ("failed", {"bash_sleep": "failed", "py_sleep": "failed"})
    wait_for(lambda: not _sleeping("41.5"), 15, what="the bash child killed")
    log = wait_for(lambda: "TaskCancelled" in (l := ok(c.cli("tasks", "logs", "o_long/long1",
                                                              "py_sleep"))) and l, 15)
    assert "ended elsewhere" in log
    assert "python end" not in lines(c, "long.txt")
    again = c.cli("runs", "cancel", "o_long/long1")
    assert again.returncode == 2 and "already failed" in again.stderr


def test_mark_failed_stops_a_running_task(ops):
    c = ops
    ok(c.cli("trigger", "o_long", "--run-id", "long2"))
    wait_for(lambda: _running(c, "long2", "py_sleep"), 30)
    out = ok(c.cli("tasks", "mark", "o_long/long2", "py_sleep", "failed"))
    assert "running -> failed" in out
    log = ""

    def stopped() -> bool:
        nonlocal log
        log = ok(c.cli("tasks", "logs", "o_long/long2", "py_sleep"))
        return "TaskCancelled" in log

    try:
        wait_for(stopped, 15, what="the try stopped")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the try's log: {log}") from None
    ok(c.cli("runs", "cancel", "o_long/long2"))
    wait_for(lambda: not _sleeping("41.5"), 15)
