"""Time sensors: wait for a delay after the data interval, a time of day, or a datetime."""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from cluster.errors import AirflowException, DagDefinitionError
from cluster.timezones import zone_name
from cluster.sdk.triggers import DateTimeTrigger
from cluster.sdk.sensors.base import BaseSensorOperator, refuse_trigger_start


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TimeDeltaSensor(BaseSensorOperator):
    """Done once `delta` has passed since the end of the run's data interval.

    Parameters:
      delta: how long after `data_interval_end` (the logical date when the run has no
        interval) to wait.
      deferrable: defer to a DateTimeTrigger instead of poking (the try waits for it).
      end_from_trigger: with `deferrable`, the trigger ends the task (no resume).
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    def __init__(self, *, delta: dt.timedelta, deferrable: bool = False,
                 end_from_trigger: bool = False, **kwargs: Any) -> None:
        if not isinstance(delta, dt.timedelta):
            raise DagDefinitionError(f"TimeDeltaSensor({kwargs.get('task_id')!r}): delta must "
                                     f"be a timedelta, got {delta!r}")
        super().__init__(**kwargs)
        self.delta = delta
        self.deferrable = bool(deferrable)
        self.end_from_trigger = bool(end_from_trigger)

    def target(self, context: dict[str, Any]) -> dt.datetime:
        base = context.get("data_interval_end") or context["logical_date"]
        return base + self.delta

    def poke(self, context: dict[str, Any]) -> bool:
        """True when now is at or past the interval's end plus `delta`."""
        target = self.target(context)
        print(f"{self.task_id}: checking whether it is {target.isoformat()} yet")
        return _utcnow() >= target

    def execute(self, context: dict[str, Any]) -> Any:
        if not self.deferrable:
            return super().execute(context)
        target = self.target(context)
        if _utcnow() > target:
            return True
        self.defer(trigger=DateTimeTrigger(moment=target, end_from_trigger=self.end_from_trigger),
                   method_name="execute_complete", timeout=self.timeout)

    def execute_complete(self, context: dict[str, Any], event: Any = None) -> None:
        return None


class TimeDeltaSensorAsync(TimeDeltaSensor):
    """Airflow's deprecated name for `TimeDeltaSensor(deferrable=True)`."""

    def __init__(self, *, delta: dt.timedelta, end_from_trigger: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(delta=delta, deferrable=True, end_from_trigger=end_from_trigger,
                         **kwargs)


class TimeSensor(BaseSensorOperator):
    """Done once the time of day is past `target_time`, on the wall clock of the DAG's
    time zone (the zone of its start_date), as in Airflow.

    Parameters:
      target_time: the time of day to wait for (a `datetime.time`; one with a tzinfo is
        read in that zone instead).
      deferrable: defer to a DateTimeTrigger at that time of today instead of poking.
      end_from_trigger: with `deferrable`, the trigger ends the task (no resume).
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    def __init__(self, *, target_time: dt.time, deferrable: bool = False,
                 start_from_trigger: bool = False, end_from_trigger: bool = False,
                 trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        name = f"{type(self).__name__}({kwargs.get('task_id')!r})"
        if not isinstance(target_time, dt.time):
            raise DagDefinitionError(f"{name}: target_time must be a datetime.time, got "
                                     f"{target_time!r}")
        refuse_trigger_start(name, start_from_trigger, trigger_kwargs)
        super().__init__(**kwargs)
        self.target_time = target_time
        self.deferrable = bool(deferrable)
        self.end_from_trigger = bool(end_from_trigger)

    def execute(self, context: dict[str, Any]) -> Any:
        if not self.deferrable:
            return super().execute(context)
        target = self.target_time
        zone = target.tzinfo or getattr(self.dag, "timezone", None) or dt.timezone.utc
        moment = dt.datetime.combine(_utcnow().astimezone(zone).date(),
                                     target.replace(tzinfo=None)).replace(tzinfo=zone)
        self.defer(trigger=DateTimeTrigger(moment=moment, end_from_trigger=self.end_from_trigger),
                   method_name="execute_complete", timeout=self.timeout)

    def execute_complete(self, context: dict[str, Any], event: Any = None) -> None:
        return None

    def poke(self, context: dict[str, Any]) -> bool:
        """True when the time of day in the DAG's zone is past `target_time`."""
        target = self.target_time
        zone = target.tzinfo or getattr(self.dag, "timezone", None) or dt.timezone.utc
        local = _utcnow().astimezone(zone)
        print(f"{self.task_id}: checking whether it is {target.isoformat()} yet in "
              f"{zone_name(zone)} (now {local.time().isoformat(timespec='seconds')})")
        return local.time() > target.replace(tzinfo=None)


class TimeSensorAsync(TimeSensor):
    """Airflow's deprecated name for `TimeSensor(deferrable=True)`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(deferrable=True, **kwargs)


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


class DateTimeSensorAsync(DateTimeSensor):
    """Waits for `target_time` by deferring to a DateTimeTrigger (the try waits for it).

    Parameters:
      end_from_trigger: the trigger ends the task (no resume).
      (and DateTimeSensor's target_time)
    """

    def __init__(self, *, start_from_trigger: bool = False, end_from_trigger: bool = False,
                 trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        refuse_trigger_start(f"DateTimeSensorAsync({kwargs.get('task_id')!r})",
                             start_from_trigger, trigger_kwargs)
        super().__init__(**kwargs)
        self.end_from_trigger = bool(end_from_trigger)

    def execute(self, context: dict[str, Any]) -> Any:
        self.defer(trigger=DateTimeTrigger(moment=parse_datetime(self.target_time),
                                           end_from_trigger=self.end_from_trigger),
                   method_name="execute_complete", timeout=self.timeout)

    def execute_complete(self, context: dict[str, Any], event: Any = None) -> None:
        return None


__all__ = ["DateTimeSensor", "DateTimeSensorAsync", "TimeDeltaSensor", "TimeDeltaSensorAsync",
           "TimeSensor", "TimeSensorAsync"]
