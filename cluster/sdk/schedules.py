"""Schedule arithmetic (pure): cron strings, presets, timedelta, or None."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.timezones import as_utc

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


def to_text(schedule: Any) -> str | None:
    """The schedule as stored with the DAG's version: a timedelta as `timedelta:SECONDS`."""
    if schedule is None:
        return None
    if isinstance(schedule, dt.timedelta):
        return f"timedelta:{schedule.total_seconds():g}"
    return str(schedule)


def from_text(text: str | None) -> Any:
    """The inverse of `to_text`."""
    if text is None or text == "None":
        return None
    if text.startswith("timedelta:"):
        return dt.timedelta(seconds=float(text.split(":", 1)[1]))
    return text


def first_point(schedule: Any, start_date: dt.datetime) -> dt.datetime:
    """The logical date of a DAG's first scheduled run: the start date when it lies on the
    schedule (a timedelta schedule counts from it), else the schedule's next point."""
    if schedule == "@once" or isinstance(schedule, dt.timedelta):
        return start_date
    nxt = following(schedule, start_date - dt.timedelta(microseconds=1))
    return nxt if nxt is not None else start_date


def due_runs(schedule: Any, start_date: dt.datetime | None, end_date: dt.datetime | None,
             last: dt.datetime | None, now: dt.datetime, catchup: bool,
             limit: int = 50) -> list[dt.datetime]:
    """Logical dates of the scheduled runs to create now, oldest first.

    A run for the interval [T, next(T)) is due once its interval has ended, as in Airflow;
    `last` is the latest scheduled run's logical date. Without catchup only the latest
    finished interval is run (never one before `last`).
    """
    if schedule is None or schedule == "None" or start_date is None:
        return []
    start_date = as_utc(start_date)
    end_date = as_utc(end_date) if end_date else None
    if schedule == "@once":
        return [] if last is not None or start_date > now else [start_date]
    candidate = first_point(schedule, start_date) if last is None else following(schedule, last)
    if candidate is None:
        return []
    if not catchup:
        latest = _latest_finished(schedule, start_date, now)
        if latest is not None and latest > candidate:
            candidate = latest
    out: list[dt.datetime] = []
    while candidate is not None and len(out) < limit:
        if end_date is not None and candidate > end_date:
            break
        end = following(schedule, candidate)
        if end is None or end > now:
            break
        out.append(candidate)
        candidate = end
    return out


def _latest_finished(schedule: Any, start_date: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """The logical date of the latest interval that has ended by `now`."""
    if isinstance(schedule, dt.timedelta):
        if now < start_date + schedule:
            return None
        steps = int((now - start_date) / schedule)
        return start_date + (steps - 1) * schedule
    end = following(schedule, now - dt.timedelta(microseconds=1))
    end = end if end is not None and end <= now else preceding(schedule, now)
    begin = preceding(schedule, end) if end is not None else None
    return begin if begin is not None and begin >= start_date else None


def backfill_dates(schedule: Any, start: dt.datetime, end: dt.datetime,
                   limit: int) -> list[dt.datetime]:
    """The schedule's points in [start, end], at most `limit` of them."""
    out: list[dt.datetime] = []
    when: dt.datetime | None = first_point(schedule, as_utc(start))
    while when is not None and when <= as_utc(end) and len(out) < limit:
        out.append(when)
        when = following(schedule, when)
    return out


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
