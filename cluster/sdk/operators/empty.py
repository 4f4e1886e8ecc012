"""EmptyOperator: a task that does nothing, to group or join dependencies."""
from __future__ import annotations

from typing import Any

from cluster.sdk.operators.base import BaseOperator


class EmptyOperator(BaseOperator):
    """Does nothing; the worker records it succeeded without starting a runner."""

    ui_color = "#e8f7e4"
    is_empty = True

    def execute(self, context: dict[str, Any]) -> None:
        return None


DummyOperator = EmptyOperator
