"""What `depends_on_past` reads: the same task in the DAG's previous run."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Sequence

from sqlalchemy import select

from cluster.store.db import Store, retrying
from cluster.store.models import DagRun, TaskInstance

TI = TaskInstance.__table__


@dataclasses.dataclass(frozen=True)
class PreviousRun:
    """The run before a run (by logical date) and the states of some of its tasks."""

    run_pk: int
    run_id: str
    states: dict[str, str]  # task id -> state, for the tasks asked about that it has


@retrying
def previous_run(store: Store, dag_id: str, logical_date: dt.datetime, task_ids: Sequence[str],
                 map_index: int = -1, scheduled_only: bool = False) -> PreviousRun | None:
    """The DAG's run with the latest logical date before `logical_date` (manual runs left
    out when `scheduled_only`, as Airflow does for catchup DAGs), with those tasks' states."""
    q = select(DagRun.id, DagRun.run_id).where(
        DagRun.dag_id == dag_id, DagRun.logical_date < logical_date)
    if scheduled_only:
        q = q.where(DagRun.run_type != "manual")
    with store.engine.connect() as conn:
        row = conn.execute(q.order_by(DagRun.logical_date.desc(), DagRun.id.desc())
                           .limit(1)).first()
        if row is None:
            return None
        states = dict(conn.execute(select(TI.c.task_id, TI.c.state).where(
            TI.c.run_pk == row[0], TI.c.task_id.in_(list(task_ids)),
            TI.c.map_index == map_index)).all())
    return PreviousRun(row[0], row[1], states)


@retrying
def ran_before(store: Store, dag_id: str, task_id: str, logical_date: dt.datetime) -> bool:
    """Whether any run before `logical_date` has an instance of `task_id`."""
    with store.engine.connect() as conn:
        return conn.execute(select(TI.c.run_pk).join(DagRun, DagRun.id == TI.c.run_pk).where(
            DagRun.dag_id == dag_id, DagRun.logical_date < logical_date,
            TI.c.task_id == task_id).limit(1)).first() is not None
