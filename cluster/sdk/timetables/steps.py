"""The two ways a schedule steps through time: a cron expression read on the wall clock
of a zone, or a fixed delta. Both take and give UTC instants."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.timezones import UTC, localize, parse_zone, to_utc, wall_clock, zone_name

PRESETS = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *", "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *", "@midnight": "0 0 * * *",
}


class CronSteps:
    """A cron expression (or preset) evaluated in a time zone, across DST changes."""

    def __init__(self, cron: str, timezone: Any = "UTC") -> None:
        from croniter import croniter

        if not isinstance(cron, str):
            raise DagDefinitionError(f"a cron expression must be a string, got {cron!r}")
        self._expression = PRESETS.get(cron, cron)
        if not croniter.is_valid(self._expression):
            raise DagDefinitionError(f"invalid cron expression {cron!r}")
        self._timezone = parse_zone(timezone)
        # Schedules firing at least hourly step on the instant, not the wall clock, so
        # the hour repeated in autumn runs twice as it happens (Airflow's fold fix).
        self._hourly = croniter(self._expression).expanded[1] == ["*"]

    @property
    def expression(self) -> str:
        return self._expression

    @property
    def timezone(self) -> dt.tzinfo:
        return self._timezone

    @property
    def zone(self) -> str:
        return zone_name(self._timezone)

    def next(self, current: dt.datetime) -> dt.datetime:
        """The first point strictly after `current`."""
        return self._step(current, +1)

    def prev(self, current: dt.datetime) -> dt.datetime:
        """The last point strictly before `current`."""
        return self._step(current, -1)

    def _step(self, current: dt.datetime, direction: int) -> dt.datetime:
        from croniter import croniter

        current = to_utc(current)
        naive = wall_clock(current, self._timezone)
        it = croniter(self._expression, start_time=naive)
        for _ in range(4):
            point = it.get_next(dt.datetime) if direction > 0 else it.get_prev(dt.datetime)
            found = (localize(point, self._timezone) if not self._hourly
                     else current + (point - naive))
            # a wall-clock time skipped in spring names the same instant as the hour after
            # it, so stepping back from 03:00 to 02:00 may not move at all
            if (found - current) * direction > dt.timedelta(0):
                return found
        raise DagDefinitionError(f"cron {self._expression!r} does not advance from "
                                 f"{current.isoformat()} in {self.zone}")

    def align_next(self, current: dt.datetime) -> dt.datetime:
        """`current` if it lies on the schedule, else the next point."""
        nxt = self.next(current)
        return current if self.prev(nxt) == to_utc(current) else nxt

    def align_prev(self, current: dt.datetime) -> dt.datetime:
        """`current` if it lies on the schedule, else the previous point."""
        prev = self.prev(current)
        return current if self.next(prev) == to_utc(current) else prev


class DeltaSteps:
    """A fixed step (`timedelta` or `relativedelta`) added to UTC instants."""

    def __init__(self, delta: Any) -> None:
        if isinstance(delta, dt.timedelta):
            if delta <= dt.timedelta(0):
                raise DagDefinitionError(f"invalid schedule {delta!r}: a timedelta must be "
                                         "positive")
        elif type(delta).__name__ != "relativedelta":
            raise DagDefinitionError(f"a schedule delta must be a timedelta, got {delta!r}")
        self._delta = delta

    @property
    def delta(self) -> Any:
        return self._delta

    def next(self, current: dt.datetime) -> dt.datetime:
        return to_utc(to_utc(current) + self._delta)

    def prev(self, current: dt.datetime) -> dt.datetime:
        return to_utc(to_utc(current) - self._delta)

    def align_next(self, current: dt.datetime) -> dt.datetime:
        return to_utc(current)

    def align_prev(self, current: dt.datetime) -> dt.datetime:
        return to_utc(current)

    def seconds(self) -> float:
        if isinstance(self._delta, dt.timedelta):
            return self._delta.total_seconds()
        d = self._delta
        return (d.years * 365 * 86400 + d.months * 30 * 86400 + d.days * 86400 +
                d.hours * 3600 + d.minutes * 60 + d.seconds)

    def round_down(self, when: dt.datetime) -> dt.datetime:
        """`when` rounded down to a whole number of steps since the epoch."""
        step = self.seconds()
        stamp = to_utc(when).timestamp()
        return dt.datetime.fromtimestamp(stamp - stamp % step, UTC)


def encode_delta(delta: Any) -> Any:
    """A timedelta as seconds, a relativedelta as its non-zero fields."""
    if isinstance(delta, dt.timedelta):
        return delta.total_seconds()
    fields = ("years", "months", "weeks", "days", "hours", "minutes", "seconds",
              "microseconds", "year", "month", "day", "weekday", "hour", "minute", "second")
    out = {}
    for name in fields:
        value = getattr(delta, name, None)
        if name == "weeks":
            continue  # relativedelta folds weeks into days
        if name == "weekday" and value is not None:
            value = value.weekday
        if value:
            out[name] = value
    return out


def decode_delta(data: Any) -> Any:
    if isinstance(data, dict):
        from dateutil.relativedelta import relativedelta

        return relativedelta(**data)
    return dt.timedelta(seconds=float(data))
