"""The lost-try reaper: a try whose worker stopped heartbeating is a failed try.

It uses up a retry (sent again after the task's retry_delay); with none left the task
instance fails and its downstream is told, so the run goes on by its trigger rules.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, Callable, Mapping

from celery import Celery

from cluster.control.repairs import arrivals, repair_task_signature
from cluster.control.retries import next_retry_in
from cluster.states import TaskState
from cluster.store import Store
from cluster.store import lost as lost_store
from cluster.store.models import utcnow

log = logging.getLogger("chordflow.scheduler")


@dataclasses.dataclass(frozen=True)
class Reaped:
    run_pk: int
    task_id: str
    map_index: int
    state: TaskState


def reap(store: Store, app: Celery, runs: Mapping[int, Any],
         version_data: Callable[[int], dict[str, Any]], older_than: dt.datetime) -> list[Reaped]:
    """End every try whose heartbeat is older than `older_than` and send what follows."""
    out = []
    for lost in lost_store.lost_tries(store, older_than):
        run = runs.get(lost.run_pk)
        data = version_data(run.dag_version_id) if run is not None else None
        spec = data["_index"].get(lost.task_id) if data else None
        # A run that is over (timed out, marked) retries nothing.
        again_in = None if spec is None else next_retry_in(spec, lost.try_number, lost.max_tries)
        retry_at = None if again_in is None else utcnow() + dt.timedelta(seconds=again_in)
        since = lost.heartbeat_at.isoformat(timespec="seconds") if lost.heartbeat_at else "?"
        note = (f"{lost_store.LOST_REASON} (last at {since}): try {lost.try_number} failed; "
                + ("no retries left" if again_in is None else f"up for retry in {again_in:g}s"))
        if not lost_store.end_lost_try(store, lost, older_than, retry_at, note):
            continue
        where = f"[{lost.map_index}]" if lost.map_index >= 0 else ""
        log.warning("run %s task %s%s: %s", lost.run_pk, lost.task_id, where, note)
        state = TaskState.FAILED if again_in is None else TaskState.UP_FOR_RETRY
        out.append(Reaped(lost.run_pk, lost.task_id, lost.map_index, state))
        if run is None or spec is None:
            continue
        if again_in is not None:
            repair_task_signature(app, lost.run_pk, run.dag_id, lost.task_id,
                                  lost.try_number + 1, data, lost.map_index
                                  ).apply_async(countdown=again_in)
        elif lost.map_index < 0:  # a mapped child's parent is settled by the repair
            after = arrivals(app, lost.run_pk, run.dag_id, lost.task_id, data)
            if after is not None:
                after.apply_async()
    return out
