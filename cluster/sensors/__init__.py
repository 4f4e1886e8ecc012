"""Sensors shipped with chordflow: tasks that wait for a condition."""
from .base import BaseSensorOperator, PokeReturnValue
from .external_task import ExternalTaskSensor
from .filesystem import FileSensor
from .python import PythonSensor
from .time_delta import DateTimeSensor, TimeDeltaSensor, TimeSensor

__all__ = [
    "BaseSensorOperator", "DateTimeSensor", "ExternalTaskSensor", "FileSensor",
    "PokeReturnValue", "PythonSensor", "TimeDeltaSensor", "TimeSensor",
]
