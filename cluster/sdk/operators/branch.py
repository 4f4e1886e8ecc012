"""Branching: BranchPythonOperator / `@task.branch` and ShortCircuitOperator.

The operator only decides (it may run in a container without the store); the worker
then skips what was not chosen before the canvas moves on, and the skips propagate
downstream through the trigger rules.
"""
from __future__ import annotations

from typing import Any, Iterable

from cluster.errors import AirflowException
from cluster.sdk.operators.base import BaseOperator
from cluster.sdk.operators.python import PythonOperator


class BaseBranchOperator(BaseOperator):
    """Subclasses implement `choose_branch(context)`: the downstream task id(s) to follow."""

    branches = True

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str] | None:
        raise NotImplementedError(f"{type(self).__name__} does not implement choose_branch()")

    def execute(self, context: dict[str, Any]) -> Any:
        return self.choose_branch(context)


class BranchPythonOperator(PythonOperator):
    """A PythonOperator whose callable returns the downstream task id(s) to follow;
    every other direct downstream task is skipped."""

    branches = True


class ShortCircuitOperator(PythonOperator):
    """Continue only when the callable returns something truthy; otherwise skip downstream.

    Parameters:
      ignore_downstream_trigger_rules: True (Airflow's default) skips every task
        downstream; False skips the direct downstream only and lets the trigger rules of
        the tasks after them decide.
    """

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.short_circuit = "all" if ignore_downstream_trigger_rules else "direct"


def to_skip(kind: str, result: Any, direct: list[str], below: list[str],
            groups: dict[str, Any] | None = None) -> list[str]:
    """The task ids to skip after a branching task returned `result`.

    `kind` is "branch", "all" or "direct" (short circuit); `direct` are the task's direct
    downstream ids and `below` all of its descendants. A branch may name a task group
    (of `groups`, the serialized ones): as in Airflow, that follows the group's roots.
    """
    if kind == "branch":
        chosen = [result] if isinstance(result, str) else list(result or [])
        for name in list(chosen):
            if groups and name in groups:
                chosen.remove(name)
                chosen.extend(r for r in groups[name]["roots"] if r in direct)
        unknown = sorted(set(chosen) - set(direct))
        if unknown:
            raise AirflowException(
                f"branch returned {', '.join(unknown)}, not a direct downstream task "
                f"(those are: {', '.join(sorted(direct)) or 'none'})")
        return [t for t in direct if t not in chosen]
    if result:
        return []
    return list(below) if kind == "all" else list(direct)


__all__ = ["BaseBranchOperator", "BranchPythonOperator", "ShortCircuitOperator"]
