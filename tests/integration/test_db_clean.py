"""`chordflow db clean` through the CLI against PostgreSQL: old finished runs go with their
task instances, XComs and logs; running runs and each DAG's latest scheduled run stay."""
import json

import pytest
from sqlalchemy import text

from tests.servers import ok, wait_for

OLD = "2001-01-01T00:00:00+00:00"      # the age the test gives the runs meant to go
BEFORE = "2010-01-01"


@pytest.fixture(scope="module")
def aged(running_cluster):
    """Three finished runs of t_xcom and a running one of t_slow: r_new stays as it is, the
    others are dated 2001, and r_sched becomes t_xcom's (only) scheduled run."""
    c = running_cluster
    for run_id in ("r_old", "r_sched", "r_new"):
        ok(c.cli("trigger", "t_xcom", "--run-id", run_id, "--wait"))
    ok(c.cli("trigger", "t_slow", "--run-id", "r_running", "--conf", json.dumps({"seconds": 300})))
    wait_for(lambda: sql(c, "SELECT state FROM task_instance WHERE task_id = 'long' AND run_pk = "
                            "(SELECT id FROM dag_run WHERE run_id = 'r_running')")
             == [("running",)], timeout=60)
    sql(c, "UPDATE dag_run SET start_date = :old, created_at = :old "
           "WHERE run_id IN ('r_old', 'r_sched', 'r_running')", old=OLD)
    sql(c, "UPDATE dag_run SET run_type = 'scheduled' WHERE run_id = 'r_sched'")
    yield c
    ok(c.cli("runs", "cancel", "t_slow/r_running"))


def sql(c, statement, **params):
    handle = c.cluster()
    try:
        with handle.store.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        handle.close()


def rows_of(c, run_id):
    """(task instances, XComs, log chunks) stored for one run."""
    return tuple(sql(c, f"SELECT count(*) FROM {table} t JOIN dag_run r ON r.id = t.run_pk "
                        "WHERE r.run_id = :r", r=run_id)[0][0]
                 for table in ("task_instance", "xcom", "task_log"))


def runs(c):
    return {r for (r,) in sql(c, "SELECT run_id FROM dag_run")}


def test_a_bad_timestamp_or_table_is_refused_with_a_reason(aged):
    bad = aged.cli("db", "clean", "--clean-before-timestamp", "last tuesday", "-y")
    assert bad.returncode == 2 and "not an ISO 8601 date" in bad.stderr, bad.stderr
    bad = aged.cli("db", "clean", "--clean-before-timestamp", BEFORE, "-t", "dag_run,task", "-y")
    assert bad.returncode == 2 and "no table task to clean" in bad.stderr, bad.stderr
    assert runs(aged) == {"r_old", "r_sched", "r_running", "r_new"}


def test_without_yes_nothing_is_deleted_unless_confirmed(aged):
    done = aged.cli("db", "clean", "--clean-before-timestamp", BEFORE)  # stdin is not a tty
    assert done.returncode == 1 and "nothing deleted" in done.stderr, done.stdout + done.stderr
    assert runs(aged) == {"r_old", "r_sched", "r_running", "r_new"}


def test_a_dry_run_counts_and_deletes_nothing(aged):
    out = ok(aged.cli("db", "clean", "--clean-before-timestamp", BEFORE, "--dry-run",
                      "-t", "dag_run"))
    assert out.strip() == "dag_run: would delete 1 row", out
    assert runs(aged) == {"r_old", "r_sched", "r_running", "r_new"}


def test_old_finished_runs_go_with_everything_they_hold(aged):
    kept_rows = {r: rows_of(aged, r) for r in ("r_sched", "r_new")}
    assert all(all(n > 0 for n in counts) for counts in kept_rows.values()), kept_rows
    assert all(n > 0 for n in rows_of(aged, "r_old"))
    assert all(n > 0 for n in rows_of(aged, "r_running"))  # `first` is done, `long` runs
    out = ok(aged.cli("db", "clean", "--clean-before-timestamp", BEFORE, "-t", "dag_run", "-y"))
    assert out.strip() == "dag_run: deleted 1 row", out
    assert runs(aged) == {"r_sched", "r_running", "r_new"}
    assert sql(aged, "SELECT count(*) FROM task_instance ti WHERE NOT EXISTS "
                     "(SELECT 1 FROM dag_run r WHERE r.id = ti.run_pk)")[0][0] == 0
    assert {r: rows_of(aged, r) for r in kept_rows} == kept_rows
    assert rows_of(aged, "r_running")[0] == 3
    # the cluster goes on: a run after the clean runs as any other
    ok(aged.cli("trigger", "t_xcom", "--run-id", "r_after", "--wait"))


def test_logs_and_xcoms_age_on_their_own(aged):
    sql(aged, "UPDATE task_log SET created_at = :old WHERE run_pk = "
              "(SELECT id FROM dag_run WHERE run_id = 'r_sched')", old=OLD)
    sql(aged, "UPDATE xcom SET timestamp = :old WHERE run_pk = "
              "(SELECT id FROM dag_run WHERE run_id = 'r_running')", old=OLD)
    tis, xcoms, logs = rows_of(aged, "r_sched")
    _, running_xcoms, _ = rows_of(aged, "r_running")
    out = ok(aged.cli("db", "clean", "--clean-before-timestamp", BEFORE,
                      "-t", "task_log,xcom", "-y"))
    assert out.splitlines() == [f"task_log: deleted {logs} row{'s' if logs != 1 else ''}",
                                f"xcom: deleted {running_xcoms} row"
                                f"{'s' if running_xcoms != 1 else ''}"], out
    assert rows_of(aged, "r_sched") == (tis, xcoms, 0)
    assert rows_of(aged, "r_running")[1] == 0
    assert all(n > 0 for n in rows_of(aged, "r_new"))


def test_the_scheduler_applies_the_retention_setting(aged):
    ok(aged.cli("trigger", "t_xcom", "--run-id", "r_fresh", "--wait"))
    sql(aged, "UPDATE dag_run SET start_date = :old WHERE run_id = 'r_new'", old=OLD)
    assert "r_new" in runs(aged)
    proc = aged.scheduler(CHORDFLOW_RETENTION_DAYS="365")
    wait_for(lambda: "r_new" not in runs(aged), timeout=60, what="the scheduler's retention pass")
    assert {"r_sched", "r_running", "r_fresh"} <= runs(aged)   # kept: scheduled, running, new
    wait_for(lambda: "retention (365 days): deleted" in proc.output, timeout=30)
