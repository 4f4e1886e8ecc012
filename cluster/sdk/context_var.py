"""The running task's context, for Airflow's `get_current_context()`.

The worker (and the container entry point) wrap `operator.execute(context)` in
`use_context(context)`; code called from the task reads it back with
`current_context()`.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

from cluster.errors import AirflowException

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "chordflow_task_context", default=None)


@contextlib.contextmanager
def use_context(context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Inside the block, `current_context()` returns `context`."""
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    """The context of the task running in this thread; outside a task, an error."""
    context = _context.get()
    if context is None:
        raise AirflowException(
            "Current context was requested but no context was found! "
            "Are you running within a task?")
    return context


get_current_context = current_context

__all__ = ["get_current_context"]
