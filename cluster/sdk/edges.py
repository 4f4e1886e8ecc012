"""Edge labels: `a >> Label("when empty") >> b` is the dependency a >> b, with a label.

chordflow has no graph view yet, so the label is kept on the object and not shown; the
dependencies are exactly Airflow's.
"""
from __future__ import annotations

from typing import Any

from cluster.sdk.operators.base import _tasks_of


class EdgeModifier:
    """A label between tasks; it passes the dependency through from its left to its right."""

    is_edge_modifier = True

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[Any] = []
        self._downstream: list[Any] = []

    def _relate(self, upstream: list[Any], downstream: list[Any]) -> None:
        for task in upstream:
            task.set_downstream(downstream)

    def __rrshift__(self, other: Any) -> "EdgeModifier":  # other >> label
        tasks = _tasks_of(other)
        self._relate(tasks, self._downstream)
        self._upstream.extend(tasks)
        return self

    def __rshift__(self, other: Any) -> Any:  # label >> other
        tasks = _tasks_of(other)
        self._relate(self._upstream, tasks)
        self._downstream.extend(tasks)
        return other

    def __rlshift__(self, other: Any) -> "EdgeModifier":  # other << label
        tasks = _tasks_of(other)
        self._relate(self._upstream, tasks)
        self._downstream.extend(tasks)
        return self

    def __lshift__(self, other: Any) -> Any:  # label << other
        tasks = _tasks_of(other)
        self._relate(tasks, self._downstream)
        self._upstream.extend(tasks)
        return other

    def __repr__(self) -> str:
        return f"Label({self.label!r})"


def Label(label: str) -> EdgeModifier:  # noqa: N802 - Airflow's name
    """Airflow's `Label("text")` between two tasks."""
    return EdgeModifier(label)


__all__ = ["EdgeModifier", "Label"]
