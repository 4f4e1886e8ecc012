"""Time sensors: wait for a delay after the data interval, a time of day, or a datetime."""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from ..errors import AirflowException, DagDefinitionError
from ..timezones import zone_name
from .base import BaseSensorOperator


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TimeDeltaSensor(BaseSensorOperator):
    """Done once `delta` has passed since the end of the run's data interval.

    Parameters:
      delta: how long after `data_interval_end` (the logical date when the run has no
        interval) to wait.
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    def __init__(self, *, delta: dt.timedelta, **kwargs: Any) -> None:
        if not isinstance(delta, dt.timedelta):
            raise DagDefinitionError(f"TimeDeltaSensor({kwargs.get('task_id')!r}): delta must "
                                     f"be a timedelta, got {delta!r}")
        super().__init__(**kwargs)
        self.delta = delta

    def poke(self, context: dict[str, Any]) -> bool:
        """True when now is at or past the interval's end plus `delta`."""
        base = context.get("data_interval_end") or context["logical_date"]
        target = base + self.delta
        print(f"{self.task_id}: checking whether it is {target.isoformat()} yet")
        return _utcnow() >= target


class TimeSensor(BaseSensorOperator):
    """Done once the time of day is past `target_time`, on the wall clock of the DAG's
    time zone (the zone of its start_date), as in Airflow.

    Parameters:
      target_time: the time of day to wait for (a `datetime.time`; one with a tzinfo is
        read in that zone instead).
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    def __init__(self, *, target_time: dt.time, **kwargs: Any) -> None:
        if not isinstance(target_time, dt.time):
            raise DagDefinitionError(f"TimeSensor({kwargs.get('task_id')!r}): target_time "
                                     f"must be a datetime.time, got {target_time!r}")
        super().__init__(**kwargs)
        self.target_time = target_time

    def poke(self, context: dict[str, Any]) -> bool:
        """True when the time of day in the DAG's zone is past `target_time`."""
        target = self.target_time
        zone = target.tzinfo or getattr(self.dag, "timezone", None) or dt.timezone.utc
        local = _utcnow().astimezone(zone)
        print(f"{self.task_id}: checking whether it is {target.isoformat()} yet in "
              f"{zone_name(zone)} (now {local.time().isoformat(timespec='seconds')})")
        return local.time() > target.replace(tzinfo=None)


class DateTimeSensor(BaseSensorOperator):
    """Done once now is past `target_time`.

    Parameters:
      target_time: a datetime, or an ISO 8601 text (templated, e.g. "{{ data_interval_end }}");
        UTC unless it carries an offset.
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    template_fields: Sequence[str] = ("target_time",)

    def __init__(self, *, target_time: str | dt.datetime, **kwargs: Any) -> None:
        if isinstance(target_time, dt.datetime):
            target_time = target_time.isoformat()
        elif not isinstance(target_time, str):
            raise DagDefinitionError(f"DateTimeSensor({kwargs.get('task_id')!r}): target_time "
                                     f"must be a datetime or a string, got {target_time!r}")
        super().__init__(**kwargs)
        self.target_time = target_time

    def poke(self, context: dict[str, Any]) -> bool:
        """True when now is past the rendered `target_time`."""
        target = parse_datetime(self.target_time)
        print(f"{self.task_id}: checking whether it is {target.isoformat()} yet")
        return _utcnow() > target


def parse_datetime(value: str | dt.datetime) -> dt.datetime:
    """An aware datetime from a datetime or ISO 8601 text; naive values are UTC."""
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise AirflowException(f"not an ISO 8601 datetime: {value!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


__all__ = ["DateTimeSensor", "TimeDeltaSensor", "TimeSensor"]
