"""DAG runs: created queued, started by the scheduler, closed when every task is final."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInputError, NotFoundError
from ..states import FAILED_TASK_STATES, FINAL_TASK_STATES, RunState, TaskState
from .db import RUNS_CHANNEL, Store, retrying
from .models import Dag, DagRun, TaskInstance, utcnow

_FINAL = [s.value for s in FINAL_TASK_STATES]


def create_run(store: Store, dag_id: str, conf: dict[str, Any] | None = None,
               run_id: str | None = None, logical_date: dt.datetime | None = None,
               run_type: str = "manual") -> DagRun:
    """A queued run of the DAG's latest version; a run id may be used once per DAG."""
    now = utcnow()
    logical_date = logical_date or now
    run_id = run_id or f"{run_type}__{logical_date.isoformat()}"
    with store.session() as s:
        dag = s.get(Dag, dag_id)
        if dag is None or not dag.is_active or dag.latest_version_id is None:
            raise NotFoundError(f"no DAG with id {dag_id!r}")
        run = DagRun(dag_id=dag_id, run_id=run_id, dag_version_id=dag.latest_version_id,
                     state=RunState.QUEUED.value, run_type=run_type, conf=conf or {},
                     logical_date=logical_date, created_at=now)
        s.add(run)
        try:
            s.flush()
        except IntegrityError:
            raise InvalidInputError(f"DAG {dag_id!r} already has a run {run_id!r}") from None
        if not store.is_sqlite:
            s.execute(text(f"NOTIFY {RUNS_CHANNEL}"))  # delivered when this commits
    return run


def queued_runs(store: Store, limit: int = 50) -> list[int]:
    with store.session() as s:
        q = select(DagRun.id).where(DagRun.state == RunState.QUEUED.value) \
            .order_by(DagRun.id).limit(limit)
        return list(s.scalars(q))


@retrying
def start_run(store: Store, run_pk: int, tasks: list[dict[str, Any]]) -> DagRun | None:
    """Move a queued run to running and create its task instances, in one transaction.

    Returns None when another scheduler started it first.
    """
    now = utcnow()
    with store.session() as s:
        q = select(DagRun).where(DagRun.id == run_pk, DagRun.state == RunState.QUEUED.value)
        if not store.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        run = s.scalar(q)
        if run is None:
            return None
        run.state, run.start_date = RunState.RUNNING.value, now
        if tasks:
            s.execute(insert(TaskInstance), [{
                "run_pk": run_pk, "task_id": t["task_id"], "map_index": -1,
                "dag_id": run.dag_id, "state": TaskState.NONE.value, "try_number": 0,
                "max_tries": t.get("retries", 0), "operator": t.get("operator"),
                "queue": t.get("queue"), "queued_at": now,
            } for t in tasks])
    return run


def get_run(store: Store, run_pk: int) -> DagRun:
    with store.session() as s:
        run = s.get(DagRun, run_pk)
    if run is None:
        raise NotFoundError(f"no DAG run with id {run_pk}")
    return run


def find_run(store: Store, ref: str) -> DagRun:
    """A run by its number, or by `dag_id/run_id`."""
    ref = ref.strip()
    if ref.isdigit():
        return get_run(store, int(ref))
    dag_id, _, run_id = ref.partition("/")
    with store.session() as s:
        run = s.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    if run is None:
        raise NotFoundError(f"no DAG run {ref!r} (give its number or DAG_ID/RUN_ID)")
    return run


def list_runs(store: Store, dag_id: str | None = None, limit: int = 50) -> list[DagRun]:
    with store.session() as s:
        q = select(DagRun).order_by(DagRun.id.desc()).limit(limit)
        if dag_id:
            q = q.where(DagRun.dag_id == dag_id)
        return list(s.scalars(q))


def running_runs(store: Store) -> list[DagRun]:
    with store.session() as s:
        return list(s.scalars(select(DagRun).where(DagRun.state == RunState.RUNNING.value)))


@retrying
def close_run_if_done(store: Store, run_pk: int) -> RunState | None:
    """Close a running run whose task instances are all final; guarded, so once only."""
    with store.engine.begin() as conn:
        pending = conn.execute(
            select(TaskInstance.task_id).where(
                TaskInstance.run_pk == run_pk, TaskInstance.state.not_in(_FINAL)).limit(1)
        ).first()
        if pending is not None:
            return None
        failed = conn.execute(
            select(func.count()).select_from(TaskInstance).where(
                TaskInstance.run_pk == run_pk,
                TaskInstance.state.in_([s.value for s in FAILED_TASK_STATES]))
        ).scalar_one()
        state = RunState.FAILED if failed else RunState.SUCCESS
        done = conn.execute(
            update(DagRun).where(DagRun.id == run_pk, DagRun.state == RunState.RUNNING.value)
            .values(state=state.value, end_date=utcnow())
        ).rowcount
    return state if done else None
