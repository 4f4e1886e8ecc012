"""Tries whose worker vanished (heartbeat stopped): found, then ended as failed tries.

A lost try is a failed try, as in Airflow: it uses up a retry, and with none left the
task instance fails. Requeueing it without counting would run a task that kills its own
worker (out of memory, a segfault) for ever.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time

from sqlalchemy import insert, select, update

from cluster.states import TaskState
from cluster.store.db import Store, retrying
from cluster.store.models import TaskInstance, TaskLog, utcnow

TI = TaskInstance.__table__
LOST_REASON = "worker lost: heartbeat stopped"


@dataclasses.dataclass(frozen=True)
class LostTry:
    run_pk: int
    task_id: str
    map_index: int
    try_number: int
    max_tries: int
    heartbeat_at: dt.datetime | None


def lost_tries(store: Store, older_than: dt.datetime) -> list[LostTry]:
    """Running tries whose last heartbeat is older than `older_than`."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(
            TI.c.run_pk, TI.c.task_id, TI.c.map_index, TI.c.try_number, TI.c.max_tries,
            TI.c.heartbeat_at).where(TI.c.state == TaskState.RUNNING.value,
                                     TI.c.heartbeat_at < older_than)).all()
    return [LostTry(*row) for row in rows]


@retrying
def end_lost_try(store: Store, lost: LostTry, older_than: dt.datetime,
                 retry_at: dt.datetime | None, note: str) -> bool:
    """End a lost try: up for retry at `retry_at`, or failed when None; `note` goes to its
    log. Guarded (still running, same try, heartbeat still stale): True for the one who
    ended it."""
    now = utcnow()
    state = TaskState.UP_FOR_RETRY if retry_at is not None else TaskState.FAILED
    values = dict(state=state.value, error=LOST_REASON, end_date=now, next_retry_at=retry_at,
                  queued_at=now)
    with store.engine.begin() as conn:
        done = conn.execute(update(TI).where(
            TI.c.run_pk == lost.run_pk, TI.c.task_id == lost.task_id,
            TI.c.map_index == lost.map_index, TI.c.state == TaskState.RUNNING.value,
            TI.c.try_number == lost.try_number, TI.c.heartbeat_at < older_than,
        ).values(**values)).rowcount == 1
        if done:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            conn.execute(insert(TaskLog).values(
                run_pk=lost.run_pk, task_id=lost.task_id, map_index=lost.map_index,
                try_number=lost.try_number, text=f"[{stamp}] {note}\n", created_at=now))
    return done
