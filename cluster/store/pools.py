"""Pools: named limits on how many task instances run at once, across every worker."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select

from cluster.states import TaskState
from cluster.store.db import Store, retrying
from cluster.store.models import Dag, Pool, TaskInstance
from cluster.store.tasks import claim_in

FULL = "full"
NO_POOL = "no-pool"
_RUNNING = TaskState.RUNNING.value


def set_pool(store: Store, name: str, slots: int, description: str | None = None) -> None:
    with store.session() as s:
        row = s.get(Pool, name)
        if row is None:
            s.add(Pool(pool=name, slots=slots, description=description))
        else:
            row.slots = slots
            if description is not None:
                row.description = description


def delete_pool(store: Store, name: str) -> bool:
    with store.session() as s:
        return s.execute(delete(Pool).where(Pool.pool == name)).rowcount == 1


def list_pools(store: Store) -> list[tuple[str, int, int, str | None]]:
    """(name, slots, slots in use by running task instances, description)."""
    used = select(TaskInstance.pool, func.sum(TaskInstance.pool_slots).label("n")) \
        .where(TaskInstance.state == _RUNNING).group_by(TaskInstance.pool).subquery()
    with store.session() as s:
        return [(p, n, int(u or 0), d) for p, n, u, d in s.execute(
            select(Pool.pool, Pool.slots, used.c.n, Pool.description)
            .outerjoin(used, used.c.pool == Pool.pool).order_by(Pool.pool))]


@dataclasses.dataclass(frozen=True)
class Limits:
    """How many instances may run at once: the pool's slots, this task across the DAG's
    runs (`max_active_tis_per_dag`) and within one run (`max_active_tis_per_dagrun`), and
    every task of the DAG (the DAG's `max_active_tasks`). Mapped children count one each."""

    pool: str | None = None
    pool_slots: int = 1
    per_dag: int | None = None
    per_run: int | None = None
    dag_tasks: int | None = None

    def __bool__(self) -> bool:
        return bool(self.pool or self.per_dag or self.per_run or self.dag_tasks)


@retrying
def claim_within_limits(store: Store, run_pk: int, dag_id: str, task_id: str, try_number: int,
                        hostname: str, pid: int, map_index: int, limits: Limits
                        ) -> tuple[int, dt.datetime] | str | None:
    """Claim a try if its pool has room and its other limits allow one more. The pool's
    row, then the DAG's, are locked while counting, so two workers cannot both take the
    last slot. Returns what `claim` does, or FULL / NO_POOL."""
    with store.engine.begin() as conn:
        if limits.pool:
            q: Any = select(Pool.slots).where(Pool.pool == limits.pool)
            slots = conn.execute(q if store.is_sqlite else q.with_for_update()).scalar()
            if slots is None:
                return NO_POOL
            used = conn.execute(select(func.coalesce(func.sum(TaskInstance.pool_slots), 0))
                                .where(TaskInstance.pool == limits.pool,
                                       TaskInstance.state == _RUNNING)).scalar()
            if used + limits.pool_slots > slots:
                return FULL
        if limits.per_dag or limits.per_run or limits.dag_tasks:
            q = select(Dag.dag_id).where(Dag.dag_id == dag_id)
            conn.execute(q if store.is_sqlite else q.with_for_update())
            running = select(func.count()).select_from(TaskInstance).where(
                TaskInstance.dag_id == dag_id, TaskInstance.state == _RUNNING)
            for limit, where in (
                    (limits.per_dag, [TaskInstance.task_id == task_id]),
                    (limits.per_run, [TaskInstance.task_id == task_id,
                                      TaskInstance.run_pk == run_pk]),
                    (limits.dag_tasks, [])):
                if limit and conn.execute(running.where(*where)).scalar() >= limit:
                    return FULL
        return claim_in(conn, run_pk, task_id, try_number, hostname, pid, map_index)
