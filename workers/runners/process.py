"""The process runner: the task runs inside the worker process (embedded mode, tests)."""
from __future__ import annotations

import signal
import threading
from typing import Any

from cluster.context_var import use_context
from cluster.errors import AirflowException

from ..logs import TaskLogWriter, capture


class TaskTimeout(AirflowException):
    """A try ran longer than its `execution_timeout`."""


class ProcessRunner:
    """Runs the operator in this process: fastest, but not isolated from the worker."""

    name = "process"
    isolated = False

    def execute(self, operator: Any, context: dict[str, Any], log: TaskLogWriter,
                timeout: float | None) -> Any:
        with capture(log), _deadline(timeout), use_context(context):
            return operator.execute(context)


class _deadline:
    """SIGALRM-based timeout when on the main thread (prefork children); else none."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        if self.seconds and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True

    def _expired(self, *_: Any) -> None:
        raise TaskTimeout(f"execution_timeout of {self.seconds:g}s exceeded")

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
