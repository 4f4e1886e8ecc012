"""DAG runs: created queued, started by the scheduler, closed when every task is final."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Collection, NamedTuple, Protocol

from sqlalchemy import and_, func, insert, select, text, update
from sqlalchemy.orm import aliased
from sqlalchemy.exc import IntegrityError

from cluster.errors import InvalidInputError, NotFoundError
from cluster.states import (FAILED_TASK_STATES, FINAL_TASK_STATE_VALUES, UNFINISHED_TASK_STATES,
                      RunState, TaskState, run_outcome)
from cluster.planning.serialization import outside_dates
from cluster.timezones import as_utc
from cluster.store.db import RUNS_CHANNEL, Store, retrying
from cluster.store.models import Dag, DagRun, TaskInstance, utcnow

_UNFINISHED = [s.value for s in UNFINISHED_TASK_STATES]


def create_run(store: Store, dag_id: str, conf: dict[str, Any] | None = None,
               run_id: str | None = None, logical_date: dt.datetime | None = None,
               run_type: str = "manual",
               data_interval: tuple[dt.datetime, dt.datetime] | None = None) -> DagRun:
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
                     logical_date=logical_date, created_at=now,
                     data_interval_start=data_interval[0] if data_interval else None,
                     data_interval_end=data_interval[1] if data_interval else None)
        s.add(run)
        try:
            s.flush()
        except IntegrityError:
            raise InvalidInputError(f"DAG {dag_id!r} already has a run {run_id!r}") from None
        if not store.is_sqlite:
            s.execute(text(f"NOTIFY {RUNS_CHANNEL}"))  # delivered when this commits
    return run


_ACTIVE_RUN_STATES = (RunState.QUEUED.value, RunState.RUNNING.value)


def scheduling_candidates(store: Store) -> list[tuple[str, int, LastRun | None, int]]:
    """Active, unpaused DAGs with a schedule: (dag_id, latest version, latest scheduled
    run, active runs), in one query."""
    last = select(DagRun.dag_id, func.max(DagRun.logical_date).label("last")) \
        .where(DagRun.run_type == "scheduled").group_by(DagRun.dag_id).subquery()
    active = select(DagRun.dag_id, func.count().label("n")) \
        .where(DagRun.state.in_(_ACTIVE_RUN_STATES)).group_by(DagRun.dag_id).subquery()
    latest = aliased(DagRun)
    q = select(Dag.dag_id, Dag.latest_version_id, last.c.last, latest.data_interval_start,
               latest.data_interval_end, func.coalesce(active.c.n, 0)) \
        .outerjoin(last, last.c.dag_id == Dag.dag_id) \
        .outerjoin(latest, and_(latest.dag_id == Dag.dag_id, latest.run_type == "scheduled",
                                latest.logical_date == last.c.last)) \
        .outerjoin(active, active.c.dag_id == Dag.dag_id) \
        .where(Dag.is_active.is_(True), Dag.is_paused.is_(False), Dag.schedule.is_not(None),
               Dag.latest_version_id.is_not(None))
    with store.session() as s:
        return [(d, v, LastRun(as_utc(l), as_utc(a), as_utc(b)) if l is not None else None, n)
                for d, v, l, a, b, n in s.execute(q)]


class LastRun(NamedTuple):
    """A DAG's latest scheduled run: its logical date and the data interval stored with it
    (None for runs made before intervals were stored)."""

    logical_date: dt.datetime
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None


class PlannedRun(Protocol):
    """What a timetable plans (cluster.sdk.timetables.DagRunInfo has this shape)."""

    @property
    def logical_date(self) -> dt.datetime: ...

    @property
    def data_interval(self) -> tuple[dt.datetime, dt.datetime]: ...


@retrying
def create_scheduled_runs(store: Store, dag_id: str,
                          due: Callable[[LastRun | None, int], list[PlannedRun]],
                          run_type: str = "scheduled") -> list[int]:
    """Create the runs `due(latest scheduled run, active runs)` plans, under a lock on the
    DAG's row so that two schedulers never both create them (the unique run id is the
    second guard)."""
    with store.session() as s:
        q = select(Dag).where(Dag.dag_id == dag_id)
        if not store.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        dag = s.scalar(q)
        if dag is None or dag.is_paused or not dag.is_active or dag.latest_version_id is None:
            return []
        latest = s.execute(select(DagRun.logical_date, DagRun.data_interval_start,
                                  DagRun.data_interval_end).where(
            DagRun.dag_id == dag_id, DagRun.run_type == run_type)
            .order_by(DagRun.logical_date.desc()).limit(1)).first()
        last = LastRun(*(as_utc(v) for v in latest)) if latest is not None else None
        active = s.scalar(select(func.count()).select_from(DagRun).where(
            DagRun.dag_id == dag_id, DagRun.state.in_(_ACTIVE_RUN_STATES)))
        now = utcnow()
        runs = [DagRun(dag_id=dag_id, run_id=f"{run_type}__{info.logical_date.isoformat()}",
                       dag_version_id=dag.latest_version_id, state=RunState.QUEUED.value,
                       run_type=run_type, conf={}, logical_date=info.logical_date,
                       data_interval_start=info.data_interval[0],
                       data_interval_end=info.data_interval[1], created_at=now)
                for info in due(last, active)]
        s.add_all(runs)
        s.flush()
        if runs and not store.is_sqlite:
            s.execute(text(f"NOTIFY {RUNS_CHANNEL}"))
        return [r.id for r in runs]


def existing_run_ids(store: Store, dag_id: str, run_ids: list[str]) -> set[str]:
    with store.session() as s:
        return set(s.scalars(select(DagRun.run_id).where(
            DagRun.dag_id == dag_id, DagRun.run_id.in_(run_ids))))


def queued_runs_by_dag(store: Store, per_dag: int
                       ) -> dict[str, tuple[int, list[tuple[int, int]]]]:
    """dag_id -> (running runs, its oldest `per_dag` queued runs as (run_pk, version)), in
    one query: a DAG with a long queue (a backfill held back by max_active_runs) shows
    only its head, so other DAGs' runs are not pushed out of the batch."""
    ranked = select(DagRun.id, DagRun.dag_id, DagRun.dag_version_id, func.row_number().over(
        partition_by=DagRun.dag_id, order_by=(DagRun.logical_date, DagRun.id)).label("rn")) \
        .where(DagRun.state == RunState.QUEUED.value).subquery()
    running = select(DagRun.dag_id, func.count().label("n")) \
        .where(DagRun.state == RunState.RUNNING.value).group_by(DagRun.dag_id).subquery()
    q = select(ranked.c.dag_id, ranked.c.id, ranked.c.dag_version_id,
               func.coalesce(running.c.n, 0)) \
        .outerjoin(running, running.c.dag_id == ranked.c.dag_id) \
        .where(ranked.c.rn <= per_dag).order_by(ranked.c.rn, ranked.c.id)
    out: dict[str, tuple[int, list[tuple[int, int]]]] = {}
    with store.engine.connect() as conn:
        for dag_id, run_pk, version_id, n in conn.execute(q):
            out.setdefault(dag_id, (n, []))[1].append((run_pk, version_id))
    return out


def queued_runs(store: Store, limit: int = 500) -> list[int]:
    with store.session() as s:
        q = select(DagRun.id).where(DagRun.state == RunState.QUEUED.value) \
            .order_by(DagRun.logical_date, DagRun.id).limit(limit)
        return list(s.scalars(q))


@retrying
def start_run(store: Store, run_pk: int, tasks: list[dict[str, Any]],
              max_active_runs: int | None = None) -> DagRun | None:
    """Move a queued run to running and create its task instances, in one transaction.

    Returns None when another scheduler started it first, or when the DAG already has
    `max_active_runs` running (the run stays queued; the DAG's row is locked while
    counting, so two schedulers cannot both take the last place).
    """
    now = utcnow()
    with store.session() as s:
        q = select(DagRun).where(DagRun.id == run_pk, DagRun.state == RunState.QUEUED.value)
        if not store.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        run = s.scalar(q)
        if run is None:
            return None
        if max_active_runs:
            lock = select(Dag.dag_id).where(Dag.dag_id == run.dag_id)
            s.execute(lock if store.is_sqlite else lock.with_for_update())
            running = s.scalar(select(func.count()).select_from(DagRun).where(
                DagRun.dag_id == run.dag_id, DagRun.state == RunState.RUNNING.value))
            if running >= max_active_runs:
                return None
        run.state, run.start_date = RunState.RUNNING.value, now
        logical = as_utc(run.logical_date)
        # A task's own start_date / end_date leave it out of runs outside them (not of
        # backfills, as in Airflow): it is skipped from the start.
        outside = {t["task_id"]: outside_dates(t, logical) for t in tasks} \
            if run.run_type != "backfill" else {}
        if tasks:
            s.execute(insert(TaskInstance), [{
                "run_pk": run_pk, "task_id": t["task_id"], "map_index": -1,
                "dag_id": run.dag_id, "try_number": 0,
                "max_tries": t.get("retries", 0), "operator": t.get("operator"),
                "queue": t.get("queue"), "queued_at": now, "pool": t.get("pool"),
                "pool_slots": t.get("pool_slots") or 1,
                # every row has the same keys (one executemany)
                **({"state": TaskState.SKIPPED.value, "error": outside[t["task_id"]],
                    "start_date": now, "end_date": now, "duration": 0.0}
                   if outside.get(t["task_id"]) else {
                    "state": TaskState.NONE.value, "error": None, "start_date": None,
                    "end_date": None, "duration": None}),
            } for t in tasks])
    if len(tasks) >= _ANALYZE_AFTER and not store.is_sqlite:
        _refresh_statistics(store)
    return run


# A run this large changes the task table enough that PostgreSQL's planner, going by
# statistics from before it (or none, on a new database), may look task instances up
# through the (run, state) index and read the whole run on every claim: quadratic in
# the run's size. Fresh statistics make it use the primary key (autovacuum would too,
# a minute later).
_ANALYZE_AFTER = 500


def _refresh_statistics(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE task_instance"))


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


def with_unfinished_tasks(store: Store, run_pks: Collection[int]) -> set[int]:
    """Which of the runs have a task instance not final yet: one query for all of them
    (the scheduler closes only the others, each checked again as it closes)."""
    if not run_pks:
        return set()
    with store.engine.connect() as conn:
        return set(conn.execute(
            select(TaskInstance.run_pk).where(
                TaskInstance.run_pk.in_(list(run_pks)), TaskInstance.state.in_(_UNFINISHED))
            .distinct()).scalars())


@retrying
def close_run_if_done(store: Store, run_pk: int, leaves: Collection[str],
                      reopen_final: bool = False) -> RunState | None:
    """Close a running run whose task instances are all final; guarded, so once only.

    Its state comes from its `leaves` (the tasks without downstream), as in Airflow: a
    failed task followed by an `all_done` cleanup leaf that succeeded gives a successful
    run. With `reopen_final`, a run already over takes the state its tasks now give it
    (after a task was marked by hand)."""
    with store.engine.begin() as conn:
        pending = conn.execute(
            select(TaskInstance.task_id).where(
                TaskInstance.run_pk == run_pk, TaskInstance.state.in_(_UNFINISHED)).limit(1)
        ).first()
        if pending is not None:
            return None
        # a mapped leaf counts once, by its parent's state (a hand-marked parent wins)
        leaf_states = conn.execute(
            select(TaskInstance.state).where(
                TaskInstance.run_pk == run_pk, TaskInstance.map_index == -1,
                TaskInstance.task_id.in_(list(leaves)),
                TaskInstance.state.in_([s.value for s in FAILED_TASK_STATES])).limit(1)
        ).scalars().all()
        state = run_outcome(leaf_states)
        from_states = [RunState.RUNNING.value] + (
            [RunState.SUCCESS.value, RunState.FAILED.value] if reopen_final else [])
        done = conn.execute(
            update(DagRun).where(DagRun.id == run_pk, DagRun.state.in_(from_states))
            .values(state=state.value, end_date=utcnow())
        ).rowcount
    return state if done else None


@retrying
def end_run(store: Store, run_pk: int, state: RunState, reason: str) -> list[str] | None:
    """End a run that is not over (a cancel, a `dagrun_timeout`): its running tries fail
    with `reason`, everything else not final is skipped. Returns the ids of the tasks that
    were running (their workers see the change at the next heartbeat and stop them), or
    None when the run was already over."""
    now = utcnow()
    with store.engine.begin() as conn:
        done = conn.execute(update(DagRun).where(
            DagRun.id == run_pk, DagRun.state.in_(_ACTIVE_RUN_STATES))
            .values(state=state.value, end_date=now, start_date=func.coalesce(
                DagRun.start_date, now))).rowcount
        if not done:
            return None
        running = list(conn.execute(update(TaskInstance).where(
            TaskInstance.run_pk == run_pk, TaskInstance.state == TaskState.RUNNING.value)
            .values(state=TaskState.FAILED.value, end_date=now, error=reason)
            .returning(TaskInstance.task_id)).scalars())
        conn.execute(update(TaskInstance).where(
            TaskInstance.run_pk == run_pk, TaskInstance.state.not_in(FINAL_TASK_STATE_VALUES))
            .values(state=TaskState.SKIPPED.value, end_date=now, error=reason))
    return running

