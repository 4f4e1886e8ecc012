"""LatestOnlyOperator, BranchDateTimeOperator, BranchDayOfWeekOperator through the CLI."""
import datetime as dt

import pytest

from cluster.control import services
from tests.servers import ok


@pytest.fixture(scope="module")
def cal(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def states(c, ref):
    handle = c.cluster()
    try:
        run, tis = services.run_details(handle, ref)
    finally:
        handle.close()
    return run.state, {t.task_id: t.state for t in tis}


def last_run(c, dag_id):
    handle = c.cluster()
    try:
        return services.list_runs(handle, dag_id, limit=1)[0].id
    finally:
        handle.close()


def test_latest_only_lets_manual_and_latest_runs_through(cal):
    ok(cal.cli("trigger", "cal_latest", "--wait"))
    assert states(cal, last_run(cal, "cal_latest"))[1] == {
        "latest": "success", "work": "success", "after": "success", "always": "success"}
    today = dt.datetime.now(dt.timezone.utc).date()
    ok(cal.cli("backfill", "cal_latest", "-s", str(today - dt.timedelta(days=3)),
               "-e", str(today)))
    handle = cal.cluster()
    try:
        runs = [r for r in services.list_runs(handle, "cal_latest") if r.run_type == "backfill"]
    finally:
        handle.close()
    got = {r.logical_date.date(): states(cal, r.id)[1] for r in runs}
    assert sorted(got) == [today - dt.timedelta(days=n) for n in (3, 2, 1, 0)]
    for day, tis in got.items():
        # Only the run whose interval ended last (yesterday's) is the latest one.
        expected = "success" if day == today - dt.timedelta(days=1) else "skipped"
        assert (tis["work"], tis["after"]) == (expected, expected), (day, tis)
        assert tis["latest"] == "success" and tis["always"] == "success"


@pytest.mark.parametrize("when, hours, day", [
    ("2024-03-04T10:00:00+00:00", "in_hours", "weekday"),    # a Monday morning
    ("2024-03-09T20:30:00+00:00", "off_hours", "weekend"),   # a Saturday evening
    ("2024-03-10T09:00:00+00:00", "in_hours", "weekend"),    # a Sunday, on the bound
])
def test_date_and_weekday_branches_follow_the_logical_date(cal, when, hours, day):
    ok(cal.cli("trigger", "cal_branch", "--wait", "--logical-date", when))
    state, tis = states(cal, last_run(cal, "cal_branch"))
    assert state == "success"
    other_hours = {"in_hours", "off_hours"} - {hours}
    other_day = {"weekend", "weekday"} - {day}
    assert tis[hours] == "success" and tis[other_hours.pop()] == "skipped"
    assert tis[day] == "success" and tis[other_day.pop()] == "skipped"
