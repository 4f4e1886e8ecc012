"""Schedule arithmetic: which scheduled runs are due, catchup, end dates, backfill dates."""
import datetime as dt

import pytest

from cluster.sdk.schedules import (backfill_dates, due_runs, first_point, from_text, to_text)

UTC = dt.timezone.utc


def d(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_daily_with_catchup_runs_every_finished_interval_in_order():
    due = due_runs("@daily", d(2024, 1, 1), None, None, d(2024, 1, 4, 12), catchup=True)
    assert due == [d(2024, 1, 1), d(2024, 1, 2), d(2024, 1, 3)]  # the 4th has not ended


def test_without_catchup_only_the_latest_finished_interval():
    due = due_runs("@daily", d(2024, 1, 1), None, None, d(2024, 1, 4, 12), catchup=False)
    assert due == [d(2024, 1, 3)]
    # after that run exists, nothing until the next interval ends
    assert due_runs("@daily", d(2024, 1, 1), None, d(2024, 1, 3), d(2024, 1, 4, 23), False) == []
    assert due_runs("@daily", d(2024, 1, 1), None, d(2024, 1, 3), d(2024, 1, 5), False) == \
        [d(2024, 1, 4)]


def test_continues_after_the_last_scheduled_run():
    assert due_runs("0 6 * * *", d(2024, 1, 1), None, d(2024, 1, 2, 6), d(2024, 1, 5),
                    catchup=True) == [d(2024, 1, 3, 6)]


def test_start_date_off_the_schedule_starts_at_its_next_point():
    assert first_point("@daily", d(2024, 1, 1, 15)) == d(2024, 1, 2)
    assert first_point("@daily", d(2024, 1, 2)) == d(2024, 1, 2)
    assert first_point(dt.timedelta(hours=6), d(2024, 1, 1, 15)) == d(2024, 1, 1, 15)


def test_end_date_bounds_the_runs():
    due = due_runs("@daily", d(2019, 1, 1), d(2019, 1, 3), None, d(2024, 1, 1), catchup=True)
    assert due == [d(2019, 1, 1), d(2019, 1, 2), d(2019, 1, 3)]
    assert due_runs("@daily", d(2019, 1, 1), d(2019, 1, 3), d(2019, 1, 3), d(2024, 1, 1),
                    True) == []


def test_limit_is_the_room_left_under_max_active_runs():
    due = due_runs("@hourly", d(2024, 1, 1), None, None, d(2024, 1, 2), True, limit=2)
    assert due == [d(2024, 1, 1, 0), d(2024, 1, 1, 1)]


def test_timedelta_schedule_counts_from_the_start_date():
    start = d(2024, 1, 1, 0, 10)
    assert due_runs(dt.timedelta(minutes=30), start, None, None, d(2024, 1, 1, 1, 20), True) == \
        [start, d(2024, 1, 1, 0, 40)]
    assert due_runs(dt.timedelta(minutes=30), start, None, None, d(2024, 1, 1, 1, 20), False) == \
        [d(2024, 1, 1, 0, 40)]


def test_once_and_none():
    assert due_runs("@once", d(2024, 1, 1), None, None, d(2024, 1, 1, 0, 1), False) == \
        [d(2024, 1, 1)]
    assert due_runs("@once", d(2024, 1, 1), None, d(2024, 1, 1), d(2025, 1, 1), False) == []
    assert due_runs("@once", d(2030, 1, 1), None, None, d(2024, 1, 1), False) == []
    assert due_runs(None, d(2024, 1, 1), None, None, d(2025, 1, 1), True) == []
    assert due_runs("@daily", None, None, None, d(2025, 1, 1), True) == []


def test_naive_start_date_means_utc():
    assert due_runs("@daily", dt.datetime(2024, 1, 1), None, None, d(2024, 1, 2, 1), True) == \
        [d(2024, 1, 1)]


@pytest.mark.parametrize("schedule", ["@daily", "*/5 * * * *", None, "@once",
                                      dt.timedelta(minutes=90)])
def test_schedule_text_round_trip(schedule):
    assert from_text(to_text(schedule)) == schedule


def test_backfill_dates_include_both_ends():
    assert backfill_dates("@daily", d(2019, 1, 1), d(2019, 1, 3), 100) == \
        [d(2019, 1, 1), d(2019, 1, 2), d(2019, 1, 3)]
    assert backfill_dates("@weekly", d(2024, 1, 1), d(2024, 1, 31), 100) == \
        [d(2024, 1, 7), d(2024, 1, 14), d(2024, 1, 21), d(2024, 1, 28)]
    assert len(backfill_dates("@hourly", d(2024, 1, 1), d(2025, 1, 1), 10)) == 10
