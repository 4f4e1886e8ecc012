"""The runner interface: execute one try of an operator and return its result."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cluster.sdk.operators.base import BaseOperator

    from workers.logs import TaskLogWriter


class Runner(Protocol):
    """Executes `operator` with `context`; returns its value or raises its error.

    Output goes to `log` as it is produced. `timeout` (seconds) stops the try.
    Implementations: `process` (this worker process), `docker`, `kubernetes`.
    """

    name: str
    isolated: bool

    def execute(self, operator: "BaseOperator", context: dict[str, Any],
                log: "TaskLogWriter", timeout: float | None) -> Any: ...
