"""Sensors shipped with chordflow: tasks that wait for a condition."""
from cluster.sdk.sensors.base import BaseSensorOperator, PokeReturnValue
from cluster.sdk.sensors.bash import BashSensor
from cluster.sdk.sensors.external_task import ExternalTaskSensor
from cluster.sdk.sensors.filesystem import FileSensor
from cluster.sdk.sensors.python import PythonSensor
from cluster.sdk.sensors.time_delta import DateTimeSensor, TimeDeltaSensor, TimeSensor
from cluster.sdk.sensors.weekday import DayOfWeekSensor

__all__ = [
    "BaseSensorOperator", "BashSensor", "DateTimeSensor", "DayOfWeekSensor",
    "ExternalTaskSensor", "FileSensor", "PokeReturnValue", "PythonSensor", "TimeDeltaSensor", "TimeSensor",
]
