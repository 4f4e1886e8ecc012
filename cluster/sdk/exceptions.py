"""The rest of Airflow's exception and warning names, for DAG files and providers that raise
or catch them (`airflow.exceptions`, `airflow.sdk.exceptions`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import (AirflowException, AirflowFailException, AirflowNotFoundException,
                     AirflowRescheduleException, AirflowSensorTimeout, AirflowSkipException,
                     DagCycleError, DuplicateTaskIdError)
from cluster.sdk.params import ParamValidationError


class AirflowConfigException(AirflowException):
    """A configuration section or key that does not exist or cannot be read."""


class AirflowBadRequest(AirflowException):
    """A request with bad arguments."""


class AirflowTaskTimeout(AirflowException):
    """A task ran past its `execution_timeout`."""


class AirflowTaskTerminated(AirflowException):
    """A task was stopped from outside."""


class AirflowOptionalProviderFeatureException(AirflowException):
    """A provider feature needs an optional package that is not installed."""


class XComNotFound(AirflowException):
    """A pulled XCom does not exist."""


class DownstreamTasksSkipped(AirflowException):
    """Raised by a task to skip some of its downstream tasks."""

    def __init__(self, *, tasks: object) -> None:
        super().__init__(f"skip {tasks}")
        self.tasks = tasks


def skipped_task_ids(tasks: object) -> list[str]:
    """The task ids a `DownstreamTasksSkipped` names: ids, or (task id, map index) pairs."""
    if isinstance(tasks, str):
        tasks = [tasks]
    return [t if isinstance(t, str) else str(list(t)[0]) for t in tasks or []]


class TaskDeferred(BaseException):
    """An operator defers to a trigger (`self.defer(...)`): the try waits for the trigger's
    first event, then resumes in `method_name(context, event=..., **kwargs)`.

    A BaseException, as in Airflow, so a task's `except Exception` does not swallow it.
    """

    def __init__(self, *, trigger: Any, method_name: str, kwargs: dict[str, Any] | None = None,
                 timeout: dt.timedelta | float | None = None) -> None:
        super().__init__()
        self.trigger, self.method_name, self.kwargs = trigger, method_name, kwargs
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            timeout = dt.timedelta(seconds=timeout)
        self.timeout: dt.timedelta | None = timeout

    def __repr__(self) -> str:
        return f"<TaskDeferred trigger={self.trigger!r} method={self.method_name}>"


class TaskDeferralError(AirflowException):
    """A deferral failed: its trigger failed or ended without an event."""


class TaskDeferralTimeout(AirflowException):
    """A deferred task's trigger gave no event within the deferral's timeout."""


class DagNotFound(AirflowNotFoundException):
    """A DAG that was asked for does not exist."""


class DagRunNotFound(AirflowNotFoundException):
    """A DAG run that was asked for does not exist."""


class TaskNotFound(AirflowNotFoundException):
    """A task that was asked for does not exist."""


class AirflowProviderDeprecationWarning(DeprecationWarning):
    """A provider feature that is deprecated."""

    deprecated_provider_since: str | None = None


class RemovedInAirflow3Warning(DeprecationWarning):
    """A feature Airflow 3 removed."""


class AirflowDagCycleException(DagCycleError, AirflowException):
    """Airflow's name for a DAG whose dependencies form a cycle."""


DuplicateTaskIdFound = DuplicateTaskIdError


class DeserializingResultError(ValueError):
    """A virtualenv task's result could not be read back."""

__all__ = [
    "AirflowException", "AirflowFailException", "AirflowNotFoundException",
    "AirflowRescheduleException", "AirflowSensorTimeout", "AirflowSkipException",
    "ParamValidationError", "AirflowConfigException", "AirflowBadRequest",
    "AirflowTaskTimeout", "AirflowTaskTerminated", "AirflowOptionalProviderFeatureException",
    "XComNotFound", "DownstreamTasksSkipped", "TaskDeferred", "TaskDeferralError", "TaskDeferralTimeout",
    "DagNotFound", "DagRunNotFound", "TaskNotFound", "AirflowProviderDeprecationWarning",
    "RemovedInAirflow3Warning", "AirflowDagCycleException", "DuplicateTaskIdFound",
    "DeserializingResultError",
]
