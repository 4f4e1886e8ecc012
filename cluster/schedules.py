"""Schedule arithmetic (pure): cron strings, presets, timedelta, or None."""
from __future__ import annotations

import datetime as dt
from typing import Any

from .errors import DagDefinitionError

PRESETS = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *", "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *", "@midnight": "0 0 * * *",
}


def check_schedule(schedule: Any) -> None:
    """Raise DagDefinitionError naming a schedule that is not None, "@once", a preset, a
    valid cron expression or a positive timedelta (so a bad one fails at import)."""
    if isinstance(schedule, dt.timedelta):
        if schedule <= dt.timedelta(0):
            raise DagDefinitionError(f"invalid schedule {schedule!r}: a timedelta must be positive")
        return
    if isinstance(schedule, str) and schedule not in ("@once", "None"):
        from croniter import croniter

        if not croniter.is_valid(PRESETS.get(schedule, schedule)):
            raise DagDefinitionError(f"invalid schedule {schedule!r}: not a cron expression "
                                     f"or one of @once, {', '.join(PRESETS)}")
        return
    _step(schedule, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), +1)


def following(schedule: Any, when: dt.datetime) -> dt.datetime | None:
    """The schedule's next point strictly after `when` (None: not periodic)."""
    return _step(schedule, when, +1)


def preceding(schedule: Any, when: dt.datetime) -> dt.datetime | None:
    """The schedule's last point strictly before `when`."""
    return _step(schedule, when, -1)


def _step(schedule: Any, when: dt.datetime, direction: int) -> dt.datetime | None:
    if schedule is None or schedule in ("@once", "None"):
        return None
    if isinstance(schedule, dt.timedelta):
        return when + direction * schedule
    if not isinstance(schedule, str):
        raise DagDefinitionError(f"unsupported schedule {schedule!r}")
    from croniter import croniter

    expression = PRESETS.get(schedule, schedule)
    try:
        it = croniter(expression, when)
    except (ValueError, KeyError) as exc:
        raise DagDefinitionError(f"invalid schedule {schedule!r}: {exc}") from None
    nxt = it.get_next(dt.datetime) if direction > 0 else it.get_prev(dt.datetime)
    return nxt if nxt.tzinfo else nxt.replace(tzinfo=when.tzinfo)


def interval_context(schedule: Any, logical_date: dt.datetime) -> dict[str, Any]:
    """Airflow's interval names for a run: data_interval_start/end, next_ds, prev_ds."""
    nxt = following(schedule, logical_date)
    prev = preceding(schedule, logical_date)
    end = nxt or logical_date
    return {
        "data_interval_start": logical_date, "data_interval_end": end,
        "next_ds": nxt.strftime("%Y-%m-%d") if nxt else None,
        "next_ds_nodash": nxt.strftime("%Y%m%d") if nxt else None,
        "prev_ds": prev.strftime("%Y-%m-%d") if prev else None,
        "prev_ds_nodash": prev.strftime("%Y%m%d") if prev else None,
        "next_execution_date": nxt, "prev_execution_date": prev,
    }
