"""DayOfWeekSensor: waits until it is one of the given days of the week."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from cluster.errors import DagDefinitionError
from cluster.sdk.operators.calendar_branch import WeekDay
from cluster.sdk.sensors.base import BaseSensorOperator


class DayOfWeekSensor(BaseSensorOperator):
    """Done when today (UTC), or the run's logical date, falls on one of `week_day`.

    Parameters:
      week_day: a day name ("Monday", any case), a WeekDay, or a set of either.
      use_task_logical_date: compare the run's logical date (its run_after when it has
        none) instead of today's date, useful for backfills.
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    def __init__(self, *, week_day: str | WeekDay | Iterable[str | WeekDay],
                 use_task_logical_date: bool = False, **kwargs: Any) -> None:
        try:
            days = WeekDay.validate_week_day(week_day)
        except (AttributeError, TypeError) as exc:
            raise DagDefinitionError(
                f"DayOfWeekSensor({kwargs.get('task_id')!r}): {exc}") from None
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = bool(use_task_logical_date)
        self._week_day_num = days

    def poke(self, context: dict[str, Any]) -> bool:
        """Whether the day to check is one of the sensor's days."""
        day = self._day(context)
        names = ", ".join(WeekDay(n).name for n in sorted(self._week_day_num))
        print(f"{self.task_id}: poking until the week day is in {{{names}}}; "
              f"it is {WeekDay(day.isoweekday()).name}")
        return day.isoweekday() in self._week_day_num

    def _day(self, context: dict[str, Any]) -> dt.datetime:
        if not self.use_task_logical_date:
            return dt.datetime.now(dt.timezone.utc)
        logical = context.get("logical_date")
        if logical is not None:
            return logical
        run_after = getattr(context.get("dag_run"), "run_after", None)
        if run_after is None:
            raise ValueError("Either `logical_date` or `run_after` should be provided in the "
                             "task context when `use_task_logical_date` is True")
        return run_after


__all__ = ["DayOfWeekSensor"]
