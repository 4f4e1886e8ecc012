"""Branching on the calendar: BranchDateTimeOperator and BranchDayOfWeekOperator."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Iterable

from cluster.errors import DagDefinitionError
from cluster.sdk.operators.branch import BaseBranchOperator


class WeekDay(enum.IntEnum):
    """Airflow's `WeekDay`: ISO week day numbers (Monday is 1)."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> int:
        try:
            return cls[week_day_str.upper()]
        except KeyError:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"') from None

    @classmethod
    def convert(cls, day: "str | WeekDay") -> int:
        return cls.get_weekday_number(day) if isinstance(day, str) else int(day)

    @classmethod
    def validate_week_day(cls, week_day: Any) -> set[int]:
        """One day or several (names or WeekDays) as a set of ISO numbers."""
        if isinstance(week_day, (str, WeekDay)):
            return {cls.convert(week_day)}
        if isinstance(week_day, Iterable):
            return {cls.convert(d) for d in week_day}
        raise TypeError(f"Unsupported Type for week_day parameter: {type(week_day)}. "
                        "Input should be iterable type: str, set, list, dict or Weekday enum type")


def _follow(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _now(context: dict[str, Any], use_logical_date: bool) -> dt.datetime:
    return context["logical_date"] if use_logical_date else dt.datetime.now(dt.timezone.utc)


class BranchDateTimeOperator(BaseBranchOperator):
    """Follows `follow_task_ids_if_true` when now (or the run's logical date) lies within
    [target_lower, target_upper], else `follow_task_ids_if_false`. Times of day are taken
    on that date (an upper time before the lower one means the next day); either bound
    may be None. Naive values are UTC.
    """

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        target_lower: dt.datetime | dt.time | None = None,
        target_upper: dt.datetime | dt.time | None = None,
        use_task_logical_date: bool = False,
        use_task_execution_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise DagDefinitionError(
                f"BranchDateTimeOperator({self.task_id!r}): target_upper and target_lower "
                "are both None; at least one must be set")
        for name, bound in (("target_lower", target_lower), ("target_upper", target_upper)):
            if bound is not None and not isinstance(bound, (dt.datetime, dt.time)):
                raise DagDefinitionError(
                    f"BranchDateTimeOperator({self.task_id!r}): {name} must be a datetime or "
                    f"a time, got {bound!r}")
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date or use_task_execution_date

    def choose_branch(self, context: dict[str, Any]) -> list[str]:
        now = _now(context, self.use_task_logical_date)
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper)
        if (upper is not None and upper < now) or (lower is not None and lower > now):
            return _follow(self.follow_task_ids_if_false)
        return _follow(self.follow_task_ids_if_true)


def target_times_as_dates(base: dt.datetime, lower: dt.datetime | dt.time | None,
                          upper: dt.datetime | dt.time | None
                          ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The bounds as aware datetimes on `base`'s date (times of day combined with it)."""
    def on_base(value: dt.datetime | dt.time | None) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.time):
            value = dt.datetime.combine(base.date(), value)
        return value if value.tzinfo else value.replace(tzinfo=base.tzinfo or dt.timezone.utc)

    times = isinstance(lower, dt.time) or isinstance(upper, dt.time)
    low, up = on_base(lower), on_base(upper)
    if times and low is not None and up is not None and up < low:
        up += dt.timedelta(days=1)
    return low, up


class BranchDayOfWeekOperator(BaseBranchOperator):
    """Follows `follow_task_ids_if_true` when today (or the run's logical date, with
    `use_task_logical_date`) is one of `week_day` (names like "Monday", WeekDay values,
    or a collection of them), else `follow_task_ids_if_false`."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        week_day: str | Iterable[str] | WeekDay | Iterable[WeekDay],
        use_task_logical_date: bool = False,
        use_task_execution_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            self._week_day_num = WeekDay.validate_week_day(week_day)
        except (AttributeError, TypeError) as exc:
            raise DagDefinitionError(f"BranchDayOfWeekOperator({self.task_id!r}): {exc}") \
                from None
        self.week_day = week_day
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date or use_task_execution_date

    def choose_branch(self, context: dict[str, Any]) -> list[str]:
        now = _now(context, self.use_task_logical_date)
        if now.isoweekday() in self._week_day_num:
            return _follow(self.follow_task_ids_if_true)
        return _follow(self.follow_task_ids_if_false)


__all__ = ["BranchDateTimeOperator", "BranchDayOfWeekOperator", "WeekDay"]
