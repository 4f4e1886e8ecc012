"""ExternalTaskMarker: a task that names a task of another DAG for `clear --downstream`."""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from cluster.errors import DagDefinitionError
from cluster.sdk.operators.empty import EmptyOperator


class ExternalTaskMarker(EmptyOperator):
    """Does nothing when it runs; clearing it with its downstream (`chordflow tasks clear
    --downstream`) also clears `external_task_id` of `external_dag_id`'s run at
    `logical_date`, and that task's downstream, following further markers up to
    `recursion_depth` DAGs deep (Airflow's ExternalTaskMarker).

    Parameters:
      external_dag_id / external_task_id: the task to clear with this one (templated).
      logical_date: that run's logical date (templated; this run's by default).
      recursion_depth: how many markers deep a clear may go (10).
    """

    template_fields: Sequence[str] = ("external_dag_id", "external_task_id", "logical_date")
    ui_color = "#4db7db"

    def __init__(self, *, external_dag_id: str, external_task_id: str,
                 logical_date: str | dt.datetime | None = "{{ logical_date.isoformat() }}",
                 execution_date: str | dt.datetime | None = None, recursion_depth: int = 10,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        value = execution_date if execution_date is not None else logical_date
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        if not isinstance(value, str):
            raise DagDefinitionError(
                f"ExternalTaskMarker({self.task_id!r}): logical_date must be a str or a "
                f"datetime, got {type(value).__name__}")
        if not isinstance(recursion_depth, int) or recursion_depth < 1:
            raise DagDefinitionError(
                f"ExternalTaskMarker({self.task_id!r}): recursion_depth should be a positive "
                "integer")
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.logical_date = value
        self.recursion_depth = recursion_depth

    def marker(self) -> dict[str, Any]:
        """What the serialized DAG keeps for clearing across DAGs."""
        return {"dag_id": self.external_dag_id, "task_id": self.external_task_id,
                "logical_date": self.logical_date, "recursion_depth": self.recursion_depth}


__all__ = ["ExternalTaskMarker"]
