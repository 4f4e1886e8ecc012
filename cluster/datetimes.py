"""Airflow's datetime type: pendulum values in task contexts, and any datetime accepted in.

Airflow hands tasks and templates pendulum `DateTime`s (`{{ logical_date.add(days=1) }}`,
`data_interval_start.in_timezone(...)`); DAG files pass pendulum values as `start_date`
and durations as `retry_delay`. pendulum's types subclass the standard ones, so chordflow
computes with either and converts at the edge a task sees.
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
