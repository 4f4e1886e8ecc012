"""Airflow's `macros` template namespace: `macros.ds_add`, `macros.ds_format`, date types."""
from __future__ import annotations

import datetime
import json  # noqa: F401  (offered to templates as macros.json)
import random  # noqa: F401  (macros.random)
import time  # noqa: F401  (macros.time)
import uuid  # noqa: F401  (macros.uuid)
from datetime import timedelta  # noqa: F401  (macros.timedelta)

datetime = datetime.datetime  # type: ignore[misc]  # Airflow's macros.datetime is the class


def ds_add(ds: str, days: int) -> str:
    """`ds_add('2015-01-01', 5)` -> '2015-01-06'."""
    if not days:
        return str(ds)
    day = datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)  # type: ignore[attr-defined]
    return day.strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """`ds_format('2015-01-01', '%Y-%m-%d', '%m-%d-%y')` -> '01-01-15'."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)  # type: ignore[attr-defined]


def datetime_diff_for_humans(dt: datetime, since: datetime | None = None) -> str:  # type: ignore[valid-type]
    """A rough `dt` relative to `since` (now), e.g. '3 days ago'."""
    import datetime as _dt

    since = since or _dt.datetime.now(_dt.timezone.utc)
    seconds = int((since - dt).total_seconds())  # type: ignore[operator]
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            n = seconds // size
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return ""
