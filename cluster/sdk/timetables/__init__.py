"""Timetables: what decides when a DAG runs (Airflow's `airflow.timetables`)."""
from cluster.sdk.timetables.asset_or_time import AssetOrTimeSchedule
from cluster.sdk.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.sdk.timetables.events import EventsTimetable
from cluster.sdk.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from cluster.sdk.timetables.simple import (AssetTriggeredTimetable, DatasetTriggeredTimetable, NullTimetable,
                     OnceTimetable)
from cluster.sdk.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable

__all__ = [
    "DagRunInfo", "DataInterval", "Timetable", "TimeRestriction", "EventsTimetable",
    "CronDataIntervalTimetable", "DeltaDataIntervalTimetable", "NullTimetable",
    "OnceTimetable", "CronTriggerTimetable", "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable", "AssetTriggeredTimetable", "DatasetTriggeredTimetable",
    "AssetOrTimeSchedule",
]
