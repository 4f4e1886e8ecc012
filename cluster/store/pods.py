"""What the orphan sweep of task pods asks the store: which tries are over."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select, tuple_

from cluster.states import TaskState
from cluster.store.db import Store, retrying
from cluster.store.models import TaskInstance

TI = TaskInstance.__table__
TryKey = tuple[int, str, int, int]  # (run_pk, task_id, map_index, try_number)


@retrying
def ended_tries(store: Store, keys: Iterable[TryKey]) -> set[TryKey]:
    """The tries among `keys` that are over.

    A try is over unless its task instance is running that very try: it ended (success,
    failure, skip), was marked or cleared, moved on to a later try, was taken as lost by
    the reaper, or its run was deleted. A pod of a try that is over has no worker left.
    """
    keys = set(keys)
    if not keys:
        return set()
    instances = {(run_pk, task_id, map_index) for run_pk, task_id, map_index, _ in keys}
    with store.engine.connect() as conn:
        rows = conn.execute(select(TI.c.run_pk, TI.c.task_id, TI.c.map_index,
                                   TI.c.try_number, TI.c.state).where(
            tuple_(TI.c.run_pk, TI.c.task_id, TI.c.map_index).in_(list(instances)))).all()
    running = {(r[0], r[1], r[2], r[3]) for r in rows if r[4] == TaskState.RUNNING.value}
    return keys - running
