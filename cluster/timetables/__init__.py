"""Timetables: what decides when a DAG runs (Airflow's `airflow.timetables`)."""
from .asset_or_time import AssetOrTimeSchedule
from .base import DagRunInfo, DataInterval, Timetable, TimeRestriction
from .events import EventsTimetable
from .interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from .simple import (AssetTriggeredTimetable, DatasetTriggeredTimetable, NullTimetable,
                     OnceTimetable)
from .trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable

__all__ = [
    "DagRunInfo", "DataInterval", "Timetable", "TimeRestriction", "EventsTimetable",
    "CronDataIntervalTimetable", "DeltaDataIntervalTimetable", "NullTimetable",
    "OnceTimetable", "CronTriggerTimetable", "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable", "AssetTriggeredTimetable", "DatasetTriggeredTimetable",
    "AssetOrTimeSchedule",
]
