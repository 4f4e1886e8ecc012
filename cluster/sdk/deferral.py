"""Deferrable operators without a triggerer: the try itself waits for the trigger.

An operator that raises `TaskDeferred` (`self.defer(trigger=..., method_name=...)`) hands
Airflow's triggerer a trigger and frees its worker slot; chordflow has no triggerer, so the
try runs the trigger's async `run()` right where it is, until its first event (or the
deferral's timeout), then resumes the operator as Airflow does:
`operator.resume_execution(method_name, {**kwargs, "event": payload}, context)`. The
worker slot stays taken while the trigger waits; the semantics are Airflow's.
"""
from __future__ import annotations

import asyncio
from typing import Any

from cluster.sdk.exceptions import TaskDeferralError, TaskDeferralTimeout, TaskDeferred
from cluster.errors import AirflowFailException, AirflowSkipException

# the method name Airflow resumes a task with when its trigger failed or timed out
TRIGGER_FAIL = "__fail__"
# a deferral that defers again (a sensor waiting in steps) may do so this often
MAX_DEFERRALS = 10_000


class TaskSuccessEvent:
    """What a trigger yields to end the task successfully without resuming it
    (`end_from_trigger=True`)."""

    def __init__(self, xcoms: dict[str, Any] | None = None) -> None:
        self.xcoms = xcoms
        self.payload = None


class TaskFailedEvent(TaskSuccessEvent):
    """What a trigger yields to fail the task without resuming it."""


class TaskSkippedEvent(TaskSuccessEvent):
    """What a trigger yields to skip the task without resuming it."""


def execute(operator: Any, context: dict[str, Any]) -> Any:
    """The try's work, as Airflow's task runner does it: `pre_execute`, `execute` (following
    its deferrals to the end), `post_execute` with the result."""
    hook = getattr(operator, "pre_execute", None)
    if hook is not None:
        hook(context)
    result = _follow(operator, context)
    hook = getattr(operator, "post_execute", None)
    if hook is not None:
        hook(context, result)
    return result


def _follow(operator: Any, context: dict[str, Any]) -> Any:
    try:
        return operator.execute(context)
    except TaskDeferred as deferred:
        pending = deferred
    for _ in range(MAX_DEFERRALS):
        try:
            return _resume(operator, context, pending)
        except TaskDeferred as again:
            pending = again
    raise TaskDeferralError(f"{operator.task_id} deferred more than {MAX_DEFERRALS} times")


def _resume(operator: Any, context: dict[str, Any], deferred: TaskDeferred) -> Any:
    timeout = deferred.timeout.total_seconds() if deferred.timeout is not None else None
    print(f"{operator.task_id}: deferred to {type(deferred.trigger).__name__}, resuming in "
          f"{deferred.method_name}" + (f" (timeout {timeout:g}s)" if timeout is not None else ""))
    try:
        event = first_event(deferred.trigger, timeout)
    except TimeoutError:
        return resume(operator, TRIGGER_FAIL, {"error": "Trigger/execution timeout"}, context)
    if isinstance(event, TaskFailedEvent):
        raise AirflowFailException(f"{operator.task_id}: its trigger failed the task")
    if isinstance(event, TaskSkippedEvent):
        raise AirflowSkipException(f"{operator.task_id}: its trigger skipped the task")
    if isinstance(event, TaskSuccessEvent):
        print(f"{operator.task_id}: its trigger ended the task successfully")
        return None
    kwargs = {**(deferred.kwargs or {}), "event": getattr(event, "payload", event)}
    return resume(operator, deferred.method_name, kwargs, context)


def resume(operator: Any, method_name: str, kwargs: dict[str, Any],
           context: dict[str, Any]) -> Any:
    """Airflow's `BaseOperator.resume_execution`, for operators that do not define it."""
    method = getattr(operator, "resume_execution", None)
    if method is not None:
        return method(method_name, kwargs, context)
    return default_resume(operator, method_name, kwargs, context)


def default_resume(operator: Any, method_name: str, kwargs: dict[str, Any] | None,
                   context: dict[str, Any]) -> Any:
    """Call `method_name(context, **kwargs)`; the fail marker raises the trigger's error."""
    kwargs = kwargs or {}
    if method_name == TRIGGER_FAIL:
        error = kwargs.get("error", "Unknown")
        if "timeout" in str(error).lower():
            raise TaskDeferralTimeout(error)
        raise TaskDeferralError(error)
    return getattr(operator, method_name)(context, **kwargs)


def first_event(trigger: Any, timeout: float | None) -> Any:
    """The first event the trigger's async `run()` yields; TimeoutError after `timeout`
    seconds, TaskDeferralError when it ends without one."""
    return asyncio.run(_first_event(trigger, timeout))


async def _first_event(trigger: Any, timeout: float | None) -> Any:
    events = trigger.run()
    try:
        return await asyncio.wait_for(events.__anext__(), timeout)
    except StopAsyncIteration:
        raise TaskDeferralError(f"{type(trigger).__name__} ended without an event") from None
    finally:
        await events.aclose()
        cleanup = getattr(trigger, "cleanup", None)
        if cleanup is not None:
            await cleanup()


__all__ = ["TaskSuccessEvent", "TaskFailedEvent", "TaskSkippedEvent"]
