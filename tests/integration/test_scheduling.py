"""Scheduled runs, catchup, pause, max_active_runs, dagrun_timeout, backfill, two schedulers."""
import datetime as dt

import pytest
from sqlalchemy import text

from tests.servers import ok, wait_for


@pytest.fixture(scope="module")
def sched(cluster_env):
    cluster_env.scheduler()
    cluster_env.scheduler()  # two at once: no run may be made twice
    cluster_env.worker(concurrency=4)
    return cluster_env


def runs_of(c, dag_id):
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            return conn.execute(text(
                "SELECT run_id, run_type, state, logical_date, start_date, end_date FROM dag_run "
                "WHERE dag_id = :d ORDER BY logical_date"), {"d": dag_id}).all()
    finally:
        handle.close()


def overlapping(runs):
    """The most runs that were running at the same moment, from their recorded times."""
    events = sorted([(r.start_date, 1) for r in runs] + [(r.end_date, -1) for r in runs])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def test_new_dags_wait_paused_then_catch_up_within_max_active_runs(sched):
    c = sched
    listed = ok(c.cli("dags", "list"))
    assert "s_catchup" in listed
    wait_for(lambda: True, 1.5)  # a few scheduler steps
    assert runs_of(c, "s_catchup") == []  # paused at creation
    assert "s_catchup: unpaused" in ok(c.cli("dags", "unpause", "s_catchup"))
    wait_for(lambda: len(runs_of(c, "s_catchup")) == 5 and
             all(r.state == "success" for r in runs_of(c, "s_catchup")), 60, what="5 runs")
    runs = runs_of(c, "s_catchup")
    assert [r.logical_date.date() for r in runs] == [dt.date(2024, 1, d) for d in range(1, 6)]
    assert {r.run_type for r in runs} == {"scheduled"}
    assert overlapping(runs) <= 2
    lines = (c.tmp / "out" / "s_catchup.txt").read_text().splitlines()
    starts = sorted(l.split()[:3] for l in lines if " start " in l)
    assert starts[0] == ["2024-01-01", "2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"]
    assert len(starts) == 5  # each interval ran once, with two schedulers running


def test_without_catchup_only_the_latest_interval_runs(sched):
    c = sched
    ok(c.cli("dags", "unpause", "s_latest"))
    wait_for(lambda: [r.state for r in runs_of(c, "s_latest")] == ["success"], 60)
    wait_for(lambda: True, 1.0)
    runs = runs_of(c, "s_latest")
    assert len(runs) == 1
    today = dt.datetime.now(dt.timezone.utc).date()
    assert runs[0].logical_date.date() == today - dt.timedelta(days=1)


def test_pause_stops_new_runs_and_bad_names_are_one_line_errors(sched):
    c = sched
    assert "paused" in ok(c.cli("dags", "pause", "s_latest"))
    shown = ok(c.cli("dags", "list"))
    assert any(l.startswith("s_latest") and l.rstrip().endswith("yes") for l in shown.splitlines())
    bad = c.cli("dags", "unpause", "no_such_dag")
    assert bad.returncode == 2 and "no DAG with id 'no_such_dag'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_backfill_runs_each_date_once_in_order_and_resumes(sched):
    c = sched
    out = ok(c.cli("backfill", "s_backfill", "-s", "2024-02-01", "-e", "2024-02-04"))
    assert "4 run(s)" in out and "4 new" in out and "4 succeeded, 0 failed" in out
    runs = runs_of(c, "s_backfill")
    assert [r.logical_date for r in runs] == [
        dt.datetime(2024, 2, d, 12, tzinfo=dt.timezone.utc) for d in range(1, 5)]
    assert {r.run_type for r in runs} == {"backfill"}
    assert overlapping(runs) == 1  # max_active_runs=1
    assert all(a.end_date <= b.start_date for a, b in zip(runs, runs[1:]))
    again = ok(c.cli("backfill", "s_backfill", "-s", "2024-02-02", "-e", "2024-02-05"))
    assert "1 new, 3 already there" in again
    assert len(runs_of(c, "s_backfill")) == 5
    bad = c.cli("backfill", "s_backfill", "-s", "2024-02-05", "-e", "2024-02-01")
    assert bad.returncode == 2 and "before --start-date" in bad.stderr
    none = c.cli("backfill", "s_timeout", "-s", "2024-02-01", "-e", "2024-02-02")
    assert none.returncode == 2 and "no periodic schedule" in none.stderr


def test_dagrun_timeout_fails_the_run_and_skips_the_rest(sched):
    c = sched
    ok(c.cli("trigger", "s_timeout"))
    wait_for(lambda: [r.state for r in runs_of(c, "s_timeout")] == ["failed"], 30)
    shown = ok(c.cli("runs", "show", "s_timeout/" + runs_of(c, "s_timeout")[0].run_id))
    assert "dagrun_timeout" in shown or "skipped" in shown
    handle = c.cluster()
    with handle.store.engine.connect() as conn:
        states = dict(conn.execute(text(
            "SELECT task_id, state FROM task_instance WHERE dag_id='s_timeout'")).all())
    handle.close()
    assert states == {"sleeper": "failed", "after": "skipped"}
    run = runs_of(c, "s_timeout")[0]
    assert (run.end_date - run.start_date).total_seconds() < 15  # not the task's 20 s
