"""Task instances on the hot path: guarded transitions in few round trips (their XComs:
xcoms.py; their logs: logs.py)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import (and_, bindparam, case, delete, exists, insert, select, tuple_,
                        update)
from sqlalchemy.exc import IntegrityError

from cluster.timezones import as_utc  # noqa: F401  (also read as ti_store.as_utc)
from cluster.states import (CLAIMABLE_TASK_STATES, FINAL_TASK_STATES, UNFINISHED_TASK_STATES,
                      RunState, TaskState)
from cluster.store.db import Compiled, Store, retrying
from cluster.store.models import DagRun, JoinFired, TaskInstance, TaskLog, XCom, utcnow

TI = TaskInstance.__table__
_CLAIMABLE = [s.value for s in CLAIMABLE_TASK_STATES]
_UNFINISHED = [s.value for s in UNFINISHED_TASK_STATES]


@dataclasses.dataclass(frozen=True)
class Delivery:
    """What a worker needs to decide about one delivery of a task instance."""

    run_pk: int
    dag_id: str
    run_id: str
    run_state: str
    conf: dict[str, Any]
    logical_date: dt.datetime
    dag_version_id: int
    state: str
    try_number: int
    upstream_states: dict[str, str]
    max_tries: int = 0  # retries allowed up to this try number (raised by a clear)
    start_date: dt.datetime | None = None  # of the try; a rescheduled sensor's first poke
    run_type: str = "manual"  # manual, scheduled or backfill
    data_interval_start: dt.datetime | None = None  # as stored with a scheduled run
    data_interval_end: dt.datetime | None = None


@retrying
def load_delivery(store: Store, run_pk: int, task_id: str, upstream: Sequence[str],
                  map_index: int = -1) -> Delivery | None:
    """The run, the task instance and its upstreams' states, in one query."""
    ids = [task_id, *upstream]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(TI.c.task_id, TI.c.state, TI.c.try_number, DagRun.dag_id, DagRun.run_id,
                   DagRun.state, DagRun.conf, DagRun.logical_date, DagRun.dag_version_id,
                   DagRun.run_type, DagRun.data_interval_start, DagRun.data_interval_end)
            .join(DagRun, DagRun.id == TI.c.run_pk)
            .where(TI.c.run_pk == run_pk, TI.c.task_id.in_(ids), TI.c.map_index == map_index)
        ).all()
    mine = next((r for r in rows if r[0] == task_id), None)
    if mine is None:
        return None
    return Delivery(
        run_pk=run_pk, dag_id=mine[3], run_id=mine[4], run_state=mine[5], conf=mine[6] or {},
        logical_date=as_utc(mine[7]), dag_version_id=mine[8], state=mine[1],
        try_number=mine[2], upstream_states={r[0]: r[1] for r in rows if r[0] != task_id},
        run_type=mine[9],
        data_interval_start=as_utc(mine[10]), data_interval_end=as_utc(mine[11]),
    )


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What never changes about a run: a worker reads it once per run."""

    run_pk: int
    dag_id: str
    run_id: str
    conf: dict[str, Any]
    logical_date: dt.datetime
    dag_version_id: int
    run_type: str = "manual"
    data_interval_start: dt.datetime | None = None
    data_interval_end: dt.datetime | None = None


def run_info(store: Store, run_pk: int) -> RunInfo | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(DagRun.dag_id, DagRun.run_id, DagRun.conf,
                                  DagRun.logical_date, DagRun.dag_version_id, DagRun.run_type,
                                  DagRun.data_interval_start, DagRun.data_interval_end)
                           .where(DagRun.id == run_pk)).first()
    if row is None:
        return None
    return RunInfo(run_pk, row[0], row[1], row[2] or {}, as_utc(row[3]), row[4], row[5],
                   as_utc(row[6]), as_utc(row[7]))


# The hot path's statements are built once; each delivery only binds its values.
# A try's start is now, except for a sensor coming back from a reschedule: its timeout
# counts from the first poke.
_KEEP_START = case((TI.c.state == TaskState.UP_FOR_RESCHEDULE.value, TI.c.start_date),
                   else_=bindparam("p_now"))
_UP = TI.alias("up")
_CLAIM_IF_READY = Compiled(update(TI).where(
    TI.c.run_pk == bindparam("p_run"), TI.c.task_id == bindparam("p_task"),
    TI.c.map_index == bindparam("p_map"), TI.c.state.in_(_CLAIMABLE),
    TI.c.try_number == bindparam("p_prev"),
    exists().where(DagRun.id == bindparam("p_run"), DagRun.state == RunState.RUNNING.value),
    ~exists().where(and_(
        _UP.c.run_pk == bindparam("p_run"), _UP.c.map_index == bindparam("p_map"),
        _UP.c.task_id.in_(bindparam("p_ups", expanding=True)),
        _UP.c.state != TaskState.SUCCESS.value)),
).values(state=TaskState.RUNNING.value, try_number=bindparam("p_try"),
         start_date=_KEEP_START, end_date=None, duration=None,
         heartbeat_at=bindparam("p_now"), hostname=bindparam("p_host"),
         pid=bindparam("p_pid"), error=None, next_retry_at=None).returning(
    TI.c.max_tries, TI.c.start_date))


@retrying
def claim_if_upstreams_succeeded(store: Store, run: RunInfo, task_id: str, try_number: int,
                                 upstream: Sequence[str], hostname: str, pid: int,
                                 map_index: int = -1) -> Delivery | None:
    """The hot path's one round trip: start try `try_number` if the run is running, the
    task instance is claimable at the previous try and every upstream succeeded (the
    all_success rule). None means "decide the slow way" (`load_delivery`): early,
    duplicate, another trigger rule's outcome, or a run that ended."""
    with store.engine.begin() as conn:
        claimed = _CLAIM_IF_READY(conn, {
            "p_run": run.run_pk, "p_task": task_id, "p_map": map_index,
            "p_prev": try_number - 1, "p_ups": list(upstream), "p_try": try_number,
            "p_now": utcnow(), "p_host": hostname, "p_pid": pid}).first()
    if claimed is None:
        return None
    return Delivery(run_pk=run.run_pk, dag_id=run.dag_id, run_id=run.run_id,
                    run_state=RunState.RUNNING.value, conf=run.conf,
                    logical_date=run.logical_date, dag_version_id=run.dag_version_id,
                    state=TaskState.RUNNING.value, try_number=try_number,
                    upstream_states={u: TaskState.SUCCESS.value for u in upstream},
                    max_tries=claimed[0], start_date=as_utc(claimed[1]), run_type=run.run_type,
                    data_interval_start=run.data_interval_start,
                    data_interval_end=run.data_interval_end)


def upstream_states(store: Store, run_pk: int, task_ids: Iterable[str]) -> dict[str, str]:
    """Task states (a mapped task's by its parent row)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(TI.c.task_id, TI.c.state).where(
            TI.c.run_pk == run_pk, TI.c.task_id.in_(list(task_ids)), TI.c.map_index == -1)).all()
    return {r[0]: r[1] for r in rows}


@retrying
def claim(store: Store, run_pk: int, task_id: str, try_number: int, hostname: str,
          pid: int, map_index: int = -1) -> tuple[int, dt.datetime] | None:
    """Start try `try_number`: only from a claimable state and the previous try number.
    Returns the task instance's max_tries and start, or None when someone else has it."""
    with store.engine.begin() as conn:
        return claim_in(conn, run_pk, task_id, try_number, hostname, pid, map_index)


_CLAIM = update(TI).where(
    TI.c.run_pk == bindparam("p_run"), TI.c.task_id == bindparam("p_task"),
    TI.c.map_index == bindparam("p_map"), TI.c.state.in_(_CLAIMABLE),
    TI.c.try_number == bindparam("p_prev"),
).values(state=TaskState.RUNNING.value, try_number=bindparam("p_try"), start_date=_KEEP_START,
         end_date=None, duration=None, heartbeat_at=bindparam("p_now"),
         hostname=bindparam("p_host"), pid=bindparam("p_pid"), error=None,
         next_retry_at=None).returning(TI.c.max_tries, TI.c.start_date)


def claim_in(conn: Any, run_pk: int, task_id: str, try_number: int, hostname: str, pid: int,
             map_index: int = -1) -> tuple[int, dt.datetime] | None:
    """`claim` inside the caller's transaction (the pools' check holds its locks there)."""
    row = conn.execute(_CLAIM, {
        "p_run": run_pk, "p_task": task_id, "p_map": map_index, "p_prev": try_number - 1,
        "p_try": try_number, "p_now": utcnow(), "p_host": hostname, "p_pid": pid}).first()
    return None if row is None else (row[0], as_utc(row[1]))


def _update_claimable(store: Store, run_pk: int, task_id: str, map_index: int,
                      conditions: list[Any], **values: Any) -> bool:
    """A guarded transition out of a claimable state: True only for the one who made it."""
    with store.engine.begin() as conn:
        return conn.execute(update(TI).where(
            TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index == map_index,
            TI.c.state.in_(_CLAIMABLE), *conditions).values(**values)).rowcount == 1


_FINISH = Compiled(update(TI).where(
    TI.c.run_pk == bindparam("p_run"), TI.c.task_id == bindparam("p_task"),
    TI.c.map_index == bindparam("p_map"), TI.c.state == TaskState.RUNNING.value,
    TI.c.try_number == bindparam("p_try"),
).values(state=bindparam("p_state"), try_number=bindparam("p_next_try"),
         end_date=bindparam("p_now"), error=bindparam("p_error"),
         next_retry_at=bindparam("p_retry_at"), duration=bindparam("p_duration")))
_ADD_LOG = Compiled(insert(TaskLog).values(
    run_pk=bindparam("run_pk"), task_id=bindparam("task_id"), map_index=bindparam("map_index"),
    try_number=bindparam("try_number"), text=bindparam("text"),
    created_at=bindparam("created_at")))
_PENDING = Compiled(select(TI.c.task_id).where(
    TI.c.run_pk == bindparam("p_run"), TI.c.state.in_(_UNFINISHED)).limit(1))


@retrying
def finish(store: Store, run_pk: int, task_id: str, try_number: int, state: TaskState,
           start: dt.datetime | None, error: str | None = None,
           xcoms: dict[str, str] | None = None, next_retry_at: dt.datetime | None = None,
           map_index: int = -1, log_text: str = "", check_pending: bool = False
           ) -> tuple[bool, bool]:
    """Record the end of a try, its XComs and the rest of its log in one transaction
    (guarded by try number). Returns (recorded, run has pending task instances); the
    second is only looked up with `check_pending` (a leaf's end may close the run)."""
    now = utcnow()
    with store.engine.begin() as conn:
        done = _FINISH(conn, {
            "p_run": run_pk, "p_task": task_id, "p_map": map_index, "p_try": try_number,
            "p_state": state.value, "p_now": now, "p_error": error,
            # a rescheduled sensor pokes again under the same try number
            "p_next_try": try_number - (state is TaskState.UP_FOR_RESCHEDULE),
            "p_retry_at": next_retry_at,
            "p_duration": (now - start).total_seconds() if start else None}).rowcount == 1
        if log_text:  # kept even when the try was superseded: it is what happened
            _ADD_LOG(conn, {"run_pk": run_pk, "task_id": task_id,
                                    "map_index": map_index, "try_number": try_number,
                                    "text": log_text, "created_at": now})
        if done and xcoms:
            # Only the keys written here: values the task pushed itself (ti.xcom_push)
            # during the try stay, as in Airflow.
            conn.execute(delete(XCom).where(
                XCom.run_pk == run_pk, XCom.task_id == task_id, XCom.map_index == map_index,
                XCom.key.in_(list(xcoms))))
            conn.execute(insert(XCom), [
                {"run_pk": run_pk, "task_id": task_id, "map_index": map_index, "key": k,
                 "value": v, "timestamp": now} for k, v in xcoms.items()])
        pending = True
        if check_pending and done and state in FINAL_TASK_STATES:
            pending = _PENDING(conn, {"p_run": run_pk}).first() is not None
    return done, pending


@retrying
def settle_without_running(store: Store, run_pk: int, task_id: str, state: TaskState,
                           reason: str, map_index: int = -1) -> bool:
    """upstream_failed / skipped for a task that will not run (guarded)."""
    now = utcnow()
    return _update_claimable(store, run_pk, task_id, map_index, [], state=state.value,
                             start_date=now, end_date=now, duration=0.0, error=reason)


@retrying
def skip_tasks(store: Store, run_pk: int, task_ids: Sequence[str], reason: str) -> list[str]:
    """Skip task instances that have not started (a branch not followed); returns those
    that were skipped."""
    now = utcnow()
    with store.engine.begin() as conn:
        return list(conn.execute(update(TI).where(
            TI.c.run_pk == run_pk, TI.c.task_id.in_(list(task_ids)),
            TI.c.state.in_(_CLAIMABLE)).values(
            state=TaskState.SKIPPED.value, start_date=now, end_date=now, duration=0.0,
            error=reason).returning(TI.c.task_id)).scalars())


def heartbeat(store: Store, keys: Iterable[tuple[int, str, int, int]]) -> set[tuple[int, str, int, int]]:
    """Mark running tries (run_pk, task_id, map_index, try_number) as alive; returns the
    keys of those the store no longer holds as running (ended elsewhere)."""
    keys = list(keys)
    if not keys:
        return set()
    with store.engine.begin() as conn:
        alive = conn.execute(update(TI).where(
            tuple_(TI.c.run_pk, TI.c.task_id, TI.c.map_index, TI.c.try_number).in_(keys),
            TI.c.state == TaskState.RUNNING.value,
        ).values(heartbeat_at=utcnow()).returning(
            TI.c.run_pk, TI.c.task_id, TI.c.map_index, TI.c.try_number)).all()
    return set(keys) - {tuple(row) for row in alive}


def fire_join(store: Store, run_pk: int, task_id: str) -> bool:
    """Record that a join launched its continuation; True only for the first caller."""
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(JoinFired).values(run_pk=run_pk, task_id=task_id, fired_at=utcnow()))
        return True
    except IntegrityError:
        return False


# -- what the scheduler repairs ---------------------------------------------------------
def task_instances(store: Store, run_pk: int) -> list[TaskInstance]:
    with store.session() as s:
        return list(s.scalars(select(TaskInstance).where(TaskInstance.run_pk == run_pk)))


def waiting(store: Store, run_pks: Sequence[int]) -> list[tuple[Any, ...]]:
    """(run_pk, task_id, state, try_number, next_retry_at, queued_at, map_index) of task
    instances not yet started or waiting to retry (a mapped task's children included)."""
    if not run_pks:
        return []
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            TI.c.run_pk, TI.c.task_id, TI.c.state, TI.c.try_number,
            TI.c.next_retry_at, TI.c.queued_at, TI.c.map_index).where(
            TI.c.run_pk.in_(list(run_pks)), TI.c.state.in_(_CLAIMABLE)))]


def all_states(store: Store, run_pks: Sequence[int]) -> dict[int, dict[str, tuple[str, Any]]]:
    """run_pk -> task_id -> (state, end_date); a mapped task by its parent row."""
    out: dict[int, dict[str, tuple[str, Any]]] = {}
    if not run_pks:
        return out
    with store.engine.connect() as conn:
        for run_pk, task_id, state, end in conn.execute(select(
                TI.c.run_pk, TI.c.task_id, TI.c.state, TI.c.end_date).where(
                TI.c.run_pk.in_(list(run_pks)), TI.c.map_index == -1)):
            out.setdefault(run_pk, {})[task_id] = (state, as_utc(end))
    return out


def mark_queued(store: Store, run_pk: int, task_id: str, map_index: int = -1) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(TI).where(
            TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index == map_index,
            TI.c.state.in_(_CLAIMABLE)
        ).values(queued_at=utcnow()))


def running_tries(store: Store, keys: Iterable[tuple[int, str, int]]) -> set[tuple[int, str, int]]:
    """Which of the (run_pk, task_id, try_number) tries are still running."""
    keys = list(keys)
    if not keys:
        return set()
    with store.engine.connect() as conn:
        rows = conn.execute(select(TI.c.run_pk, TI.c.task_id, TI.c.try_number).where(
            tuple_(TI.c.run_pk, TI.c.task_id, TI.c.try_number).in_(keys),
            TI.c.state == TaskState.RUNNING.value)).all()
    return {(r[0], r[1], r[2]) for r in rows}


def next_tries(store: Store, run_pk: int, task_ids: Iterable[str]) -> dict[str, int]:
    """The try number the next message of each task instance must carry."""
    with store.engine.connect() as conn:
        return {t: n + 1 for t, n in conn.execute(select(TI.c.task_id, TI.c.try_number).where(
            TI.c.run_pk == run_pk, TI.c.task_id.in_(list(task_ids)), TI.c.map_index == -1))}
