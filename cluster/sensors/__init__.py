"""Sensors shipped with chordflow: tasks that wait for a condition."""
from .base import BaseSensorOperator, PokeReturnValue
from .bash import BashSensor
from .external_task import ExternalTaskSensor
from .filesystem import FileSensor
from .python import PythonSensor
from .time_delta import DateTimeSensor, TimeDeltaSensor, TimeSensor
from .weekday import DayOfWeekSensor

__all__ = [
    "BaseSensorOperator", "BashSensor", "DateTimeSensor", "DayOfWeekSensor",
    "ExternalTaskSensor", "FileSensor", "PokeReturnValue", "PythonSensor", "TimeDeltaSensor", "TimeSensor",
]
