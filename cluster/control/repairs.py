"""Signatures the repair paths send: a lone task instance that carries its run on, and
arrivals at a task's downstream joins."""
from __future__ import annotations

from typing import Any

from celery import Celery, chain, group
from celery.canvas import Signature

from cluster.planning import canvas
from cluster.planning.serialization import downstream_map


def arrivals(app: Celery, run_pk: int, dag_id: str, task_id: str,
             data: dict[str, Any]) -> Signature | None:
    """An arrival at each downstream of `task_id` (None for a leaf)."""
    downstream = downstream_map(data)[task_id]
    if not downstream:
        return None
    sigs = [app.signature(canvas.ARRIVE_TASK, args=(run_pk, d), immutable=True,
                          options={"shadow": f"{dag_id}.{d}.join"}) for d in downstream]
    return group(sigs) if len(sigs) > 1 else sigs[0]


def repair_task_signature(app: Celery, run_pk: int, dag_id: str, task_id: str, try_number: int,
                          data: dict[str, Any], map_index: int = -1) -> Signature:
    """A lone task instance plus arrivals at each downstream: enough to carry the run on
    (for a mapped child, the arrival only fires once its parent is settled)."""
    sig = canvas.task_signature(app, run_pk, dag_id, task_id, try_number,
                                data["_index"][task_id].get("queue"), map_index)
    after = arrivals(app, run_pk, dag_id, task_id, data)
    return sig if after is None else chain(sig, after)
