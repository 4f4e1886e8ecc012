"""What a sensor may read about another DAG: its run at a logical date, its task states."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from sqlalchemy import select

from .dags import get_dag, version_data
from .db import Store
from .models import DagRun, TaskInstance


def external_states(store: Store, dag_id: str, logical_date: dt.datetime,
                    task_ids: Sequence[str] | None = None) -> dict[str, list[str]] | str | None:
    """The latest run of `dag_id` at `logical_date`: its state, or with `task_ids` the states
    of those tasks' instances (one per map index); None when there is no such run.

    A task id the run has no instance of is left out of the answer.
    """
    with store.session() as s:
        run = s.execute(
            select(DagRun.id, DagRun.state)
            .where(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
            .order_by(DagRun.id.desc()).limit(1)
        ).first()
        if run is None:
            return None
        if task_ids is None:
            return run.state
        rows = s.execute(
            select(TaskInstance.task_id, TaskInstance.state)
            .where(TaskInstance.run_pk == run.id, TaskInstance.task_id.in_(list(task_ids)))
            .order_by(TaskInstance.task_id, TaskInstance.map_index)
        ).all()
    states: dict[str, list[str]] = {}
    for task_id, state in rows:
        states.setdefault(task_id, []).append(state)
    return states


def missing_tasks(store: Store, dag_id: str, task_ids: Sequence[str] = ()) -> list[str] | None:
    """Which of `task_ids` the latest version of active DAG `dag_id` lacks; None when no
    such DAG is known."""
    dag = get_dag(store, dag_id)
    if dag is None or not dag.is_active or dag.latest_version_id is None:
        return None
    known = version_data(store, dag.latest_version_id)["_index"]
    return [t for t in task_ids if t not in known]
