"""Timetables through the CLI with a real scheduler and workers: a cron in Europe/Amsterdam
across the spring DST change, a DAG file's own Timetable class, and a backfill of a cron
trigger timetable."""
import datetime as dt

import pytest
from sqlalchemy import text

from tests.servers import ok, wait_for

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def tt(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def runs_of(c, dag_id):
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            return conn.execute(text(
                "SELECT run_id, run_type, state, logical_date, data_interval_start, "
                "data_interval_end FROM dag_run WHERE dag_id = :d ORDER BY logical_date"),
                {"d": dag_id}).all()
    finally:
        handle.close()


def recorded(c, name):
    return sorted(line.split()[:6] for line in (c.tmp / "out" / name).read_text().splitlines())


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def all_succeeded(c, dag_id, n):
    runs = runs_of(c, dag_id)
    return len(runs) == n and all(r.state == "success" for r in runs)


def test_a_cron_in_amsterdam_keeps_its_wall_clock_across_the_dst_change(tt):
    ok(tt.cli("dags", "unpause", "tt_amsterdam"))
    wait_for(lambda: all_succeeded(tt, "tt_amsterdam", 4), 90, what="4 runs of tt_amsterdam")
    runs = runs_of(tt, "tt_amsterdam")
    # 02:00 local: CET (UTC+1) until 31 March, when 02:00 is skipped (03:00 CEST), then CEST
    assert [r.logical_date for r in runs] == [utc(2024, 3, 29, 1), utc(2024, 3, 30, 1),
                                              utc(2024, 3, 31, 1), utc(2024, 4, 1, 0)]
    assert [(r.data_interval_start, r.data_interval_end) for r in runs][2] == (
        utc(2024, 3, 31, 1), utc(2024, 4, 1, 0))
    assert {r.run_type for r in runs} == {"scheduled"}
    assert recorded(tt, "tt_amsterdam.txt")[2] == [
        "2024-03-31", "2024-03-31T01:00:00+00:00", "2024-03-31T01:00:00+00:00",
        "2024-04-01T00:00:00+00:00", "2024-03-30", "2024-04-01"]
    bash = sorted(line.split()[1:] for line in
                  (tt.tmp / "out" / "tt_amsterdam_bash.txt").read_text().splitlines())
    assert bash[3] == ["2024-04-01", "2024-04-01T00:00:00+00:00", "2024-04-02", "00:00:00+00:00"]
    listed = ok(tt.cli("dags", "list"))
    assert any(l.startswith("tt_amsterdam") and "0 2 * * *" in l for l in listed.splitlines())


def test_a_timetable_class_of_the_dag_file_drives_the_scheduler(tt):
    listed = ok(tt.cli("dags", "list"))
    assert any(l.startswith("tt_custom") and "workdays at 06:00" in l for l in listed.splitlines())
    ok(tt.cli("dags", "unpause", "tt_custom"))
    wait_for(lambda: all_succeeded(tt, "tt_custom", 4), 90, what="4 runs of tt_custom")
    runs = runs_of(tt, "tt_custom")
    assert [r.logical_date for r in runs] == [utc(2024, 1, d, 6) for d in (4, 5, 8, 9)]
    assert runs[1].data_interval_end == utc(2024, 1, 6, 6)  # Friday's interval
    # A triggered run gets the interval the timetable infers: Monday's is the Friday before
    ok(tt.cli("dags", "pause", "tt_custom"))
    ok(tt.cli("trigger", "tt_custom", "--run-id", "by_hand",
              "--logical-date", "2024-01-08T09:00:00+00:00"))
    wait_for(lambda: any(r.run_id == "by_hand" and r.state == "success"
                         for r in runs_of(tt, "tt_custom")), 60, what="the triggered run")
    line = next(l for l in (tt.tmp / "out" / "tt_custom.txt").read_text().splitlines()
                if "by_hand" in l).split()
    assert line[:4] == ["2024-01-08", "2024-01-08T09:00:00+00:00", "2024-01-05T06:00:00+00:00",
                        "2024-01-06T06:00:00+00:00"]


def test_backfill_of_a_cron_trigger_timetable_across_the_dst_change(tt):
    out = ok(tt.cli("backfill", "tt_trigger", "-s", "2024-03-28", "-e", "2024-04-02"))
    assert "4 run(s)" in out and "4 succeeded, 0 failed" in out  # -e: the whole day
    runs = runs_of(tt, "tt_trigger")
    # 06:00 local on workdays, each run's interval the hour before it
    assert [(r.data_interval_start, r.data_interval_end) for r in runs] == [
        (utc(2024, 3, 28, 4), utc(2024, 3, 28, 5)), (utc(2024, 3, 29, 4), utc(2024, 3, 29, 5)),
        (utc(2024, 4, 1, 3), utc(2024, 4, 1, 4)), (utc(2024, 4, 2, 3), utc(2024, 4, 2, 4))]
    assert [r.logical_date for r in runs] == [r.data_interval_start for r in runs]
    assert {r.run_type for r in runs} == {"backfill"}
