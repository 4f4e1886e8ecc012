"""The one error hierarchy of chordflow; the CLI turns these into a one-line message and exit 2."""
from __future__ import annotations

import datetime as _dt


class ChordflowError(Exception):
    """Base of every error chordflow raises on purpose."""


class ConfigError(ChordflowError):
    """A setting is missing or malformed."""


class DagDefinitionError(ChordflowError):
    """A DAG is malformed: a cycle, a duplicate task id, a bad argument."""


class DagCycleError(DagDefinitionError):
    """The DAG's dependencies form a cycle."""


class DuplicateTaskIdError(DagDefinitionError):
    """Two tasks of one DAG share an id."""


class DagImportError(ChordflowError):
    """A DAG file could not be loaded."""


class NotFoundError(ChordflowError):
    """A DAG, run or task instance that was asked for does not exist."""


class ServiceUnavailableError(ChordflowError):
    """The database or the broker cannot be reached."""


class UnsupportedFeatureError(ChordflowError):
    """A DAG file uses an Airflow name chordflow does not provide."""


class InvalidInputError(ChordflowError):
    """A user-supplied value (conf, date, argument) is malformed."""


class AirflowException(ChordflowError):
    """Airflow's base exception name, raised by tasks to fail."""


class AirflowSkipException(AirflowException):
    """Raised by a task to mark itself skipped."""


class AirflowFailException(AirflowException):
    """Raised by a task to fail at once, without retries."""


class AirflowNotFoundException(AirflowException, NotFoundError):
    """Airflow's name for a connection (or other object) that is not defined."""


class AirflowSensorTimeout(AirflowFailException):
    """A sensor's condition did not hold within its `timeout`; no retries follow."""


class AirflowRescheduleException(AirflowException):
    """Raised by a sensor in reschedule mode: free the slot, poke again at `reschedule_date`."""

    def __init__(self, reschedule_date: _dt.datetime) -> None:
        super().__init__(f"reschedule at {reschedule_date.isoformat()}")
        self.reschedule_date = reschedule_date

    def __reduce__(self) -> tuple:
        return type(self), (self.reschedule_date,)


class UnsupportedAirflowModule(ModuleNotFoundError, UnsupportedFeatureError):
    """An `airflow.*` module chordflow does not provide (an ImportError, so fallbacks work)."""


class UnsupportedAirflowName(ImportError, UnsupportedFeatureError):
    """An `airflow.*` name chordflow does not provide (an ImportError, so fallbacks work)."""
