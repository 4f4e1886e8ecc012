"""The calendar branch operators' decisions, without servers."""
import datetime as dt

import pytest

from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError
from cluster.sdk.operators.calendar_branch import (BranchDateTimeOperator, BranchDayOfWeekOperator,
                                               WeekDay, target_times_as_dates)
from cluster.sdk.operators.empty import EmptyOperator
from cluster.sdk.operators.latest_only import LatestOnlyOperator

UTC = dt.timezone.utc


def test_time_bounds_cross_midnight():
    base = dt.datetime(2024, 3, 4, 23, 0, tzinfo=UTC)
    low, up = target_times_as_dates(base, dt.time(22), dt.time(2))
    assert (low, up) == (dt.datetime(2024, 3, 4, 22, tzinfo=UTC),
                         dt.datetime(2024, 3, 5, 2, tzinfo=UTC))
    assert target_times_as_dates(base, None, dt.time(1))[1] == dt.datetime(2024, 3, 4, 1,
                                                                           tzinfo=UTC)


def test_date_time_branch_and_refusals():
    with DAG("d", start_date=dt.datetime(2024, 1, 1)):
        op = BranchDateTimeOperator(task_id="b", follow_task_ids_if_true="t",
                                    follow_task_ids_if_false=["f"], target_upper=dt.time(12),
                                    use_task_logical_date=True)
        with pytest.raises(DagDefinitionError, match="both None"):
            BranchDateTimeOperator(task_id="c", follow_task_ids_if_true="t",
                                   follow_task_ids_if_false="f")
    at = lambda h: {"logical_date": dt.datetime(2024, 3, 4, h, tzinfo=UTC)}  # noqa: E731
    assert op.choose_branch(at(11)) == ["t"] and op.choose_branch(at(13)) == ["f"]


def test_day_of_week_names_enums_and_bad_days():
    assert WeekDay.validate_week_day(["monday", WeekDay.FRIDAY]) == {1, 5}
    with DAG("d", start_date=dt.datetime(2024, 1, 1)):
        op = BranchDayOfWeekOperator(task_id="b", follow_task_ids_if_true="t",
                                     follow_task_ids_if_false="f", week_day="Monday",
                                     use_task_logical_date=True)
        with pytest.raises(DagDefinitionError, match="Invalid Week Day"):
            BranchDayOfWeekOperator(task_id="c", follow_task_ids_if_true="t",
                                    follow_task_ids_if_false="f", week_day="Caturday")
    monday = {"logical_date": dt.datetime(2024, 3, 4, tzinfo=UTC)}
    tuesday = {"logical_date": dt.datetime(2024, 3, 5, tzinfo=UTC)}
    assert op.choose_branch(monday) == ["t"] and op.choose_branch(tuesday) == ["f"]


class _Run:
    def __init__(self, run_type):
        self.run_type = run_type


def test_latest_only_window():
    with DAG("d", schedule="@daily", start_date=dt.datetime(2024, 1, 1)):
        latest = LatestOnlyOperator(task_id="latest")
        latest >> [EmptyOperator(task_id="a"), EmptyOperator(task_id="b")]
    today = dt.datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    ctx = lambda end, kind="scheduled": {  # noqa: E731
        "dag_run": _Run(kind), "data_interval_end": end}
    assert latest.choose_branch(ctx(today)) == ["a", "b"]
    assert latest.choose_branch(ctx(today - dt.timedelta(days=1))) == []
    assert latest.choose_branch(ctx(today + dt.timedelta(days=1))) == []
    assert latest.choose_branch(ctx(today - dt.timedelta(days=5), "manual")) == ["a", "b"]
