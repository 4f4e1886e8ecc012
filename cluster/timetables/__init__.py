"""Timetables: what decides when a DAG runs (Airflow's `airflow.timetables`)."""
from cluster.timetables.asset_or_time import AssetOrTimeSchedule
from cluster.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.timetables.events import EventsTimetable
from cluster.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from cluster.timetables.simple import (AssetTriggeredTimetable, DatasetTriggeredTimetable, NullTimetable,
                     OnceTimetable)
from cluster.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable

__all__ = [
    "DagRunInfo", "DataInterval", "Timetable", "TimeRestriction", "EventsTimetable",
    "CronDataIntervalTimetable", "DeltaDataIntervalTimetable", "NullTimetable",
    "OnceTimetable", "CronTriggerTimetable", "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable", "AssetTriggeredTimetable", "DatasetTriggeredTimetable",
    "AssetOrTimeSchedule",
]
