"""Sensors shipped with chordflow: tasks that wait for a condition."""
from cluster.sensors.base import BaseSensorOperator, PokeReturnValue
from cluster.sensors.bash import BashSensor
from cluster.sensors.external_task import ExternalTaskSensor
from cluster.sensors.filesystem import FileSensor
from cluster.sensors.python import PythonSensor
from cluster.sensors.time_delta import DateTimeSensor, TimeDeltaSensor, TimeSensor
from cluster.sensors.weekday import DayOfWeekSensor

__all__ = [
    "BaseSensorOperator", "BashSensor", "DateTimeSensor", "DayOfWeekSensor",
    "ExternalTaskSensor", "FileSensor", "PokeReturnValue", "PythonSensor", "TimeDeltaSensor", "TimeSensor",
]
