"""A DAG's schedule as a timetable, and timetables as the JSON stored with a DAG version.

Built-in timetables are rebuilt from their JSON by the scheduler. A timetable class of the
user's own (defined in or imported by a DAG file) is stored by name with its
`serialize()` output; the scheduler asks it in a DAG file processor child (it never
imports user code itself, see cluster/control/parsing.py).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.sdk.timetables.base import Timetable
from cluster.sdk.timetables.events import EventsTimetable
from cluster.sdk.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from cluster.sdk.timetables.asset_or_time import AssetOrTimeSchedule
from cluster.sdk.timetables.simple import AssetTriggeredTimetable, NullTimetable, OnceTimetable
from cluster.sdk.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable

BUILTIN: dict[str, type[Timetable]] = {cls.__name__: cls for cls in (
    CronDataIntervalTimetable, DeltaDataIntervalTimetable, CronTriggerTimetable,
    DeltaTriggerTimetable, MultipleCronTriggerTimetable, EventsTimetable, NullTimetable,
    OnceTimetable, AssetTriggeredTimetable, AssetOrTimeSchedule)}
# timetables whose DAGs get asset-triggered runs
ASSET_TIMETABLES = ("AssetTriggeredTimetable", "AssetOrTimeSchedule")
CUSTOM = "custom"


def from_schedule(schedule: Any, timezone: dt.tzinfo) -> Timetable:
    """The timetable a DAG's `schedule` means, cron read in the DAG's zone (Airflow 2's
    reading: a cron string or a timedelta schedules data intervals)."""
    from cluster.sdk.assets import condition_of

    if isinstance(schedule, Timetable):
        return schedule
    if condition_of(schedule) is not None:
        return AssetTriggeredTimetable(schedule)
    if schedule is None or schedule == "None":
        return NullTimetable()
    if schedule == "@once":
        return OnceTimetable()
    if isinstance(schedule, str):
        if schedule == "@continuous":
            raise DagDefinitionError("schedule '@continuous' is not supported by chordflow; "
                                     "use a cron expression or a timedelta")
        return CronDataIntervalTimetable(schedule, timezone)
    if isinstance(schedule, dt.timedelta) or type(schedule).__name__ == "relativedelta":
        return DeltaDataIntervalTimetable(schedule)
    raise DagDefinitionError(f"unsupported schedule {schedule!r}: give a cron expression, a "
                             "preset, a timedelta, a Timetable, assets or None")


def is_builtin(timetable: Timetable) -> bool:
    return BUILTIN.get(type(timetable).__name__) is type(timetable)


def encode(timetable: Timetable) -> dict[str, Any]:
    """`{"type": name, "data": serialize()}`; a user's class is `custom` with its name."""
    try:
        data = timetable.serialize()
    except Exception as exc:
        raise DagDefinitionError(f"{type(timetable).__name__}.serialize() failed: {exc}") from None
    if is_builtin(timetable):
        return {"type": type(timetable).__name__, "data": data}
    return {"type": CUSTOM, "class": type(timetable).__qualname__,
            "summary": str(timetable.summary), "periodic": bool(timetable.periodic),
            "can_be_scheduled": bool(timetable.can_be_scheduled), "data": data}


def decode(stored: dict[str, Any] | None) -> Timetable | None:
    """The built-in timetable a stored form names; None for a user's own class."""
    if not stored:
        return NullTimetable()
    cls = BUILTIN.get(stored["type"])
    if cls is None:
        return None
    return cls.deserialize(stored.get("data") or {})
