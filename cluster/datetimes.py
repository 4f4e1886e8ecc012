"""Airflow's datetime type: pendulum values in task contexts, and any datetime accepted in.

Airflow hands tasks and templates pendulum `DateTime`s (`{{ logical_date.add(days=1) }}`,
`data_interval_start.in_timezone(...)`); DAG files pass pendulum values as `start_date`
and durations as `retry_delay`. pendulum's types subclass the standard ones, so chordflow
computes with either and converts at the edge a task sees.

Also the `timezone` helpers of `airflow.utils.timezone` / `airflow.sdk.timezone`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import pendulum


def to_pendulum(value: Any) -> Any:
    """A datetime as a pendulum `DateTime` (naive means UTC); anything else unchanged."""
    if isinstance(value, pendulum.DateTime) or not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    if value.utcoffset() == dt.timedelta(0) and not _named_zone(value.tzinfo):
        return pendulum.instance(value, tz="UTC")
    return pendulum.instance(value)


def pendulum_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A context's datetime values as pendulum `DateTime`s, as Airflow gives them."""
    return {key: to_pendulum(value) for key, value in values.items()}


def _named_zone(tz: dt.tzinfo | None) -> bool:
    key = getattr(tz, "key", None) or getattr(tz, "name", None)
    return bool(key) and key not in ("UTC", "+00:00")


# airflow.utils.timezone / airflow.sdk.timezone
utc = pendulum.UTC
TIMEZONE = pendulum.UTC


def utcnow() -> pendulum.DateTime:
    """Now, in UTC, as a pendulum DateTime."""
    return pendulum.now("UTC")


def datetime(*args: Any, **kwargs: Any) -> pendulum.DateTime:
    """`datetime(2024, 1, 1)` in UTC unless `tzinfo` says otherwise."""
    kwargs.setdefault("tzinfo", utc)
    return to_pendulum(dt.datetime(*args, **kwargs))


def parse(string: str, timezone: Any = None, **kwargs: Any) -> pendulum.DateTime:
    """A date/time text as a pendulum DateTime (UTC unless it says otherwise)."""
    return pendulum.parse(string, tz=timezone or utc, **kwargs)  # type: ignore[return-value]


def is_localized(value: dt.datetime) -> bool:
    return value.utcoffset() is not None


def is_naive(value: dt.datetime) -> bool:
    return not is_localized(value)


def make_aware(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    """A naive datetime placed in `timezone` (UTC by default)."""
    if value is None:
        return None
    if is_localized(value):
        raise ValueError(f"make_aware expects a naive datetime, got {value}")
    zone = pendulum.timezone(timezone) if isinstance(timezone, str) else (timezone or utc)
    return to_pendulum(value.replace(tzinfo=zone))


def make_naive(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    """An aware datetime as naive wall time in `timezone` (UTC by default)."""
    zone = pendulum.timezone(timezone) if isinstance(timezone, str) else (timezone or utc)
    return value.astimezone(zone).replace(tzinfo=None)


def convert_to_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if not is_localized(value):
        value = value.replace(tzinfo=utc)
    return to_pendulum(value.astimezone(dt.timezone.utc))


def coerce_datetime(value: dt.datetime | None, tz: Any = None) -> dt.datetime | None:
    if value is None:
        return None
    if is_naive(value):
        value = value.replace(tzinfo=tz or utc)
    return to_pendulum(value)


TIMEZONE_NAMES = ["utc", "utcnow", "datetime", "parse", "is_localized", "is_naive",
                  "make_aware", "make_naive", "convert_to_utc", "coerce_datetime", "TIMEZONE"]
