"""Airflow's semantics on a real cluster, through the CLI: a run's state comes from its
leaves, and one_success / one_failed / one_done / always fire while other upstreams run."""
from pathlib import Path

import pytest
from sqlalchemy import text


@pytest.fixture(scope="module")
def sem(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def run(c, dag_id, *extra):
    done = c.cli("trigger", dag_id, "--wait", *extra)
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            row = conn.execute(text("SELECT id, run_id, state, end_date FROM dag_run "
                                    "WHERE dag_id = :d ORDER BY id DESC LIMIT 1"),
                               {"d": dag_id}).one()
            tis = dict(conn.execute(text(
                "SELECT task_id, state FROM task_instance WHERE run_pk = :p"), {"p": row.id}).all())
    finally:
        handle.close()
    return done, row, tis


def times(c, run_id):
    """name -> time of each mark the run's tasks recorded."""
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / "semantics.txt"
    out = {}
    for line in path.read_text().splitlines():
        rid, name, when = line.rsplit(" ", 2)
        if rid == run_id:
            out[name] = float(when)
    return out


def test_failed_task_with_successful_all_done_cleanup_leaf_is_a_successful_run(sem):
    done, row, tis = run(sem, "s_cleanup")
    assert tis == {"work": "failed", "cleanup": "success"}
    assert row.state == "success" and done.returncode == 0, done.stdout + done.stderr


def test_a_failed_leaf_fails_the_run_and_marking_follows_the_leaves(sem):
    done, row, tis = run(sem, "s_leaf_fails")
    assert tis == {"first": "success", "bad_leaf": "failed", "good_leaf": "success"}
    assert row.state == "failed" and done.returncode == 1
    # A non-leaf marked failed does not fail the run; the failed leaf marked success ends it
    # successfully; marking a leaf failed again fails it.
    for task_id, state, run_state in (("bad_leaf", "success", "success"),
                                      ("first", "failed", "success"),
                                      ("good_leaf", "failed", "failed")):
        marked = sem.cli("tasks", "mark", str(row.id), task_id, state)
        assert marked.returncode == 0, marked.stderr
        shown = sem.cli("runs", "show", str(row.id))
        assert f"state={run_state} " in shown.stdout.splitlines()[0], shown.stdout


@pytest.mark.parametrize("dag_id,fast_state", [("s_one_failed", "failed"),
                                               ("s_one_success", "success"),
                                               ("s_one_done", "failed")])
def test_early_rule_starts_while_the_slow_upstream_still_runs(sem, dag_id, fast_state):
    done, row, tis = run(sem, dag_id)
    assert tis == {"slow": "success", "fast": fast_state, "join": "success", "after": "success"}
    # the run's only leaf succeeded; it closed when the slow upstream, its last task, ended
    assert row.state == "success", done.stdout + done.stderr
    t = times(sem, row.run_id)
    assert t["fast"] < t["join"] < t["slow-end"], t
    assert t["join"] < t["after"]
    assert row.end_date.timestamp() >= t["slow-end"]


def test_none_failed_min_one_success_waits_for_every_upstream(sem):
    done, row, tis = run(sem, "s_none_failed_min_one")
    assert row.state == "success" and tis["join"] == "success", done.stdout + done.stderr
    t = times(sem, row.run_id)
    assert t["fast"] < t["slow-end"] < t["join"], t


def test_always_runs_at_once_whatever_its_upstream_does(sem):
    done, row, tis = run(sem, "s_always")
    assert row.state == "success" and tis == {"slow": "success", "anyway": "success"}
    t = times(sem, row.run_id)
    # it need not wait even for its upstream to start (seen starting 3 ms before it)
    assert t["anyway"] < t["slow-end"], t
