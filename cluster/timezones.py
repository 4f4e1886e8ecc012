"""Time zones of DAGs (pure): naming them for the store, and wall-clock arithmetic.

A DAG is scheduled in the zone of its `start_date` (UTC when the date is naive), as in
Airflow. Cron expressions are evaluated on the wall clock of that zone; every date
chordflow stores or hands to a task is UTC.
"""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any, overload

from cluster.errors import DagDefinitionError

UTC = dt.timezone.utc
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")


def zone_name(tz: dt.tzinfo | None) -> str:
    """The name under which a zone is stored: an IANA key, "UTC" or a "+HH:MM" offset."""
    if tz is None:
        return "UTC"
    for attr in ("key", "name", "zone"):  # zoneinfo, pendulum, pytz
        value = getattr(tz, attr, None)
        if isinstance(value, str) and value and not _OFFSET.match(value):
            return "UTC" if value in ("UTC", "Etc/UTC", "utc") else value
    offset = tz.utcoffset(dt.datetime(2000, 1, 1))
    if offset is None or (tz.utcoffset(dt.datetime(2000, 7, 1)) != offset):
        raise DagDefinitionError(f"time zone {tz!r} has no name chordflow can store; "
                                 "use a zoneinfo or pendulum zone")
    if not offset:
        return "UTC"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_zone(name: str | dt.tzinfo) -> dt.tzinfo:
    """A zone from its stored name (or a zone object, returned as it is)."""
    if isinstance(name, dt.tzinfo):
        return name
    if not isinstance(name, str):
        raise DagDefinitionError(f"time zone must be a name or a tzinfo, got {name!r}")
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DagDefinitionError(f"unknown time zone {name!r}") from None


@overload
def as_utc(when: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(when: None) -> None: ...


def as_utc(when: dt.datetime | None) -> dt.datetime | None:
    """A naive datetime as UTC, an aware one (or None) unchanged.

    Naive datetimes in DAG files mean UTC (Airflow's default zone), and SQLite hands
    stored ones back naive; they were stored as UTC.
    """
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    return when


def to_utc(when: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; a naive one means UTC (Airflow's default zone)."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return dt.datetime.fromtimestamp(when.timestamp(), UTC)


def wall_clock(when: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The naive wall-clock time of an instant in a zone."""
    return to_utc(when).astimezone(tz).replace(tzinfo=None)


def localize(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The instant a wall-clock time names in a zone, as UTC.

    A time skipped by a spring-forward change (02:30 in Europe/Amsterdam on the last
    Sunday of March) is the instant that far past the change (03:30 local), and a time
    that occurs twice in autumn is its later occurrence: pendulum's default rule, which
    Airflow uses.
    """
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return to_utc(first)
    skipped = wall_clock(first, tz) != naive
    return to_utc(first if skipped else second)

