"""Read-only queries for people looking at the cluster (REST API, web UI, metrics): pages
with totals, the grid of runs by tasks, log chunks after a point, counts by state."""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from sqlalchemy import func, select

from cluster.store.db import Store
from cluster.store.models import Dag, DagRun, TaskInstance, TaskLog, XCom

TI = TaskInstance.__table__


@dataclasses.dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int


def _page(s: Any, q: Any, limit: int, offset: int) -> Page:
    total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    return Page(list(s.scalars(q.limit(limit).offset(offset))), int(total or 0))


def dags_page(store: Store, limit: int = 100, offset: int = 0, tags: Sequence[str] = (),
              dag_id_pattern: str | None = None, paused: bool | None = None,
              order_by: str = "dag_id") -> Page:
    """Active DAGs; `dag_id_pattern` is a SQL LIKE pattern (Airflow's `%` wildcards)."""
    q = select(Dag).where(Dag.is_active.is_(True))
    if dag_id_pattern:
        q = q.where(Dag.dag_id.like(dag_id_pattern if "%" in dag_id_pattern
                                    else f"%{dag_id_pattern}%"))
    if paused is not None:
        q = q.where(Dag.is_paused.is_(paused))
    desc = order_by.startswith("-")
    column = {"dag_id": Dag.dag_id, "last_parsed_time": Dag.last_parsed_at}.get(
        order_by.lstrip("-"), Dag.dag_id)
    q = q.order_by(column.desc() if desc else column)
    with store.session() as s:
        if tags:  # JSON lists: filtered here, the lists are short
            rows = [d for d in s.scalars(q) if set(tags) & set(d.tags or [])]
            return Page(rows[offset:offset + limit], len(rows))
        return _page(s, q, limit, offset)


def latest_runs(store: Store, dag_ids: Sequence[str], per_dag: int = 10) -> dict[str, list[DagRun]]:
    """The newest `per_dag` runs of each DAG, newest first, in one query."""
    if not dag_ids:
        return {}
    rank = func.row_number().over(partition_by=DagRun.dag_id,
                                  order_by=DagRun.id.desc()).label("rank")
    inner = select(DagRun.id, rank).where(DagRun.dag_id.in_(list(dag_ids))).subquery()
    q = select(DagRun).join(inner, inner.c.id == DagRun.id).where(inner.c.rank <= per_dag) \
        .order_by(DagRun.dag_id, DagRun.id.desc())
    out: dict[str, list[DagRun]] = {d: [] for d in dag_ids}
    with store.session() as s:
        for run in s.scalars(q):
            out[run.dag_id].append(run)
    return out


def runs_page(store: Store, dag_id: str | None, limit: int = 100, offset: int = 0,
              states: Sequence[str] = (), order_by: str = "id") -> Page:
    q = select(DagRun)
    if dag_id:
        q = q.where(DagRun.dag_id == dag_id)
    if states:
        q = q.where(DagRun.state.in_(list(states)))
    column = {"id": DagRun.id, "logical_date": DagRun.logical_date,
              "start_date": DagRun.start_date, "end_date": DagRun.end_date,
              "run_id": DagRun.run_id}.get(order_by.lstrip("-"), DagRun.id)
    q = q.order_by(column.desc() if order_by.startswith("-") else column, DagRun.id)
    with store.session() as s:
        return _page(s, q, limit, offset)


def task_instances_page(store: Store, dag_id: str | None, run_pk: int | None,
                        limit: int = 100, offset: int = 0, states: Sequence[str] = (),
                        task_ids: Sequence[str] = ()) -> tuple[list[tuple[TaskInstance, DagRun]], int]:
    """Task instances with their run, in run then task order."""
    q = select(TaskInstance, DagRun).join(DagRun, DagRun.id == TaskInstance.run_pk)
    if dag_id:
        q = q.where(TaskInstance.dag_id == dag_id)
    if run_pk is not None:
        q = q.where(TaskInstance.run_pk == run_pk)
    if states:
        q = q.where(TaskInstance.state.in_(list(states)))
    if task_ids:
        q = q.where(TaskInstance.task_id.in_(list(task_ids)))
    q = q.order_by(TaskInstance.run_pk, TaskInstance.task_id, TaskInstance.map_index)
    with store.session() as s:
        total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
        return [(t, r) for t, r in s.execute(q.limit(limit).offset(offset))], int(total or 0)


def task_instance(store: Store, run_pk: int, task_id: str, map_index: int = -1) -> TaskInstance | None:
    with store.session() as s:
        return s.get(TaskInstance, (run_pk, task_id, map_index))


def grid(store: Store, dag_id: str, runs: int = 25) -> tuple[list[DagRun], list[tuple[Any, ...]]]:
    """The newest `runs` runs of a DAG (oldest first) and every task instance of them as
    (run_pk, task_id, map_index, state), in two queries."""
    with store.session() as s:
        chosen = list(s.scalars(select(DagRun).where(DagRun.dag_id == dag_id)
                                .order_by(DagRun.id.desc()).limit(runs)))[::-1]
    if not chosen:
        return [], []
    with store.engine.connect() as conn:
        cells = conn.execute(select(TI.c.run_pk, TI.c.task_id, TI.c.map_index, TI.c.state)
                             .where(TI.c.run_pk.in_([r.id for r in chosen]))).all()
    return chosen, cells


def log_chunks(store: Store, run_pk: int, task_id: str, try_number: int, map_index: int = -1,
               after: int = 0) -> list[tuple[int, str]]:
    """(chunk id, text) of one try written after chunk `after`: a reader's continuation."""
    with store.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(
            select(TaskLog.id, TaskLog.text).where(
                TaskLog.run_pk == run_pk, TaskLog.task_id == task_id,
                TaskLog.map_index == map_index, TaskLog.try_number == try_number,
                TaskLog.id > after).order_by(TaskLog.id))]


def logged_tries(store: Store, run_pk: int, task_id: str, map_index: int = -1) -> list[int]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(TaskLog.try_number).distinct().where(
            TaskLog.run_pk == run_pk, TaskLog.task_id == task_id,
            TaskLog.map_index == map_index).order_by(TaskLog.try_number)).scalars())


def xcoms(store: Store, run_pk: int, task_id: str, map_index: int | None = None,
          key: str | None = None) -> list[XCom]:
    q = select(XCom).where(XCom.run_pk == run_pk, XCom.task_id == task_id)
    if map_index is not None:
        q = q.where(XCom.map_index == map_index)
    if key is not None:
        q = q.where(XCom.key == key)
    with store.session() as s:
        return list(s.scalars(q.order_by(XCom.map_index, XCom.key)))


def task_state_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {state: n for state, n in conn.execute(
            select(TI.c.state, func.count()).group_by(TI.c.state))}


def run_state_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {state: n for state, n in conn.execute(
            select(DagRun.state, func.count()).group_by(DagRun.state))}


def duration_buckets(store: Store, bounds: Sequence[float], runs: bool = False
                     ) -> tuple[list[int], int, float]:
    """Cumulative counts of finished task instances (or runs) at most each bound long,
    the count and the sum of their durations in seconds: a Prometheus histogram."""
    if runs:
        secs = func.extract("epoch", DagRun.end_date - DagRun.start_date) if not store.is_sqlite \
            else (func.julianday(DagRun.end_date) - func.julianday(DagRun.start_date)) * 86400.0
        base = select(secs.label("d")).where(DagRun.end_date.is_not(None),
                                             DagRun.start_date.is_not(None)).subquery()
    else:
        base = select(TI.c.duration.label("d")).where(TI.c.duration.is_not(None)).subquery()
    cols = [func.count(), func.coalesce(func.sum(base.c.d), 0.0)] + [
        func.count().filter(base.c.d <= b) for b in bounds]
    with store.engine.connect() as conn:
        row = conn.execute(select(*cols).select_from(base)).one()
    return [int(x) for x in row[2:]], int(row[0]), float(row[1])


def queues_in_use(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {q for q in conn.execute(select(TI.c.queue).distinct()).scalars() if q}


def lost_tries(store: Store) -> int:
    """Task instances whose latest try was taken back from a vanished worker."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            TI.c.error.like("worker lost%"))).scalar() or 0)


def live_signature(store: Store, dag_id: str | None = None, run_pk: int | None = None
                   ) -> tuple[Any, ...]:
    """A cheap summary that changes whenever a state in the scope changes: what the live
    view polls before sending anything."""
    with store.engine.connect() as conn:
        runs = select(DagRun.state, func.count(), func.max(DagRun.id),
                      func.max(DagRun.end_date)).group_by(DagRun.state)
        tis = select(TI.c.state, func.count(), func.max(TI.c.start_date),
                     func.max(TI.c.end_date), func.sum(TI.c.try_number)).group_by(TI.c.state)
        if run_pk is not None:
            runs = runs.where(DagRun.id == run_pk)
            tis = tis.where(TI.c.run_pk == run_pk)
        elif dag_id is not None:
            runs = runs.where(DagRun.dag_id == dag_id)
            tis = tis.where(TI.c.dag_id == dag_id)
        else:
            tis = tis.where(TI.c.state == "running")
        paused = conn.execute(select(func.count()).where(Dag.is_paused.is_(True))).scalar()
        return (tuple(map(tuple, conn.execute(runs).all())),
                tuple(map(tuple, conn.execute(tis).all())), paused)


def find_dag_run(store: Store, dag_id: str, run_id: str) -> DagRun | None:
    with store.session() as s:
        return s.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))

