"""Pools: named limits on how many task instances run at once, across every worker."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select

from ..states import TaskState
from .db import Store, retrying
from .models import Dag, Pool, TaskInstance
from .tasks import claim_in

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


@retrying
def claim_within_limits(store: Store, run_pk: int, dag_id: str, task_id: str, try_number: int,
                        hostname: str, pid: int, map_index: int, pool: str | None,
                        pool_slots: int, max_per_dag: int | None
                        ) -> tuple[int, dt.datetime] | str | None:
    """Claim a try if its pool has room and fewer than `max_per_dag` instances of the task
    run. The pool's row, then the DAG's, are locked while counting, so two workers cannot
    both take the last slot. Returns what `claim` does, or FULL / NO_POOL."""
    with store.engine.begin() as conn:
        if pool:
            q: Any = select(Pool.slots).where(Pool.pool == pool)
            slots = conn.execute(q if store.is_sqlite else q.with_for_update()).scalar()
            if slots is None:
                return NO_POOL
            used = conn.execute(select(func.coalesce(func.sum(TaskInstance.pool_slots), 0))
                                .where(TaskInstance.pool == pool,
                                       TaskInstance.state == _RUNNING)).scalar()
            if used + pool_slots > slots:
                return FULL
        if max_per_dag:
            q = select(Dag.dag_id).where(Dag.dag_id == dag_id)
            conn.execute(q if store.is_sqlite else q.with_for_update())
            running = conn.execute(select(func.count()).select_from(TaskInstance).where(
                TaskInstance.dag_id == dag_id, TaskInstance.task_id == task_id,
                TaskInstance.state == _RUNNING)).scalar()
            if running >= max_per_dag:
                return FULL
        return claim_in(conn, run_pk, task_id, try_number, hostname, pid, map_index)
