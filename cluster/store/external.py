"""What a sensor may read about another DAG: its run at a logical date, its task states."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from sqlalchemy import select

from cluster.store.dags import get_dag, version_data
from cluster.store.db import Store
from cluster.store.models import DagRun, TaskInstance


def external_states(store: Store, dag_id: str, logical_date: dt.datetime,
                    task_ids: Sequence[str] | None = None,
                    task_group_id: str | None = None) -> dict[str, list[str]] | str | None:
    """The latest run of `dag_id` at `logical_date`: its state, or with `task_ids` the states
    of those tasks' instances (one per map index); None when there is no such run. With
    `task_group_id`, the tasks are those of that group (nested groups included) in the
    run's DAG version; none when the version has no such group.

    A task id the run has no instance of is left out of the answer.
    """
    with store.session() as s:
        run = s.execute(
            select(DagRun.id, DagRun.state, DagRun.dag_version_id)
            .where(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
            .order_by(DagRun.id.desc()).limit(1)
        ).first()
        if run is None:
            return None
        if task_group_id is not None:
            task_ids = group_task_ids(version_data(store, run.dag_version_id), task_group_id)
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


def group_task_ids(data: dict, group_id: str) -> list[str]:
    """The task ids of group `group_id` in a DAG version's data (nested groups included)."""
    group = (data.get("task_groups") or {}).get(group_id)
    if group is None:
        return []
    if "tasks" in group:
        return list(group["tasks"])
    # a version stored before groups listed their tasks: the ids carry the group prefix
    return [t for t in data["_index"] if t.startswith(group_id + ".")]


def has_task_group(store: Store, dag_id: str, group_id: str) -> bool | None:
    """Whether the latest version of active DAG `dag_id` has that task group; None when no
    such DAG is known."""
    dag = get_dag(store, dag_id)
    if dag is None or not dag.is_active or dag.latest_version_id is None:
        return None
    return group_id in (version_data(store, dag.latest_version_id).get("task_groups") or {})


def missing_tasks(store: Store, dag_id: str, task_ids: Sequence[str] = ()) -> list[str] | None:
    """Which of `task_ids` the latest version of active DAG `dag_id` lacks; None when no
    such DAG is known."""
    dag = get_dag(store, dag_id)
    if dag is None or not dag.is_active or dag.latest_version_id is None:
        return None
    known = version_data(store, dag.latest_version_id)["_index"]
    return [t for t in task_ids if t not in known]
