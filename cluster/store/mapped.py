"""Mapped task instances: a parent row (map_index -1) and its children (0..n-1).

The parent is expanded once (a guarded move to `mapped` in the transaction that creates
its children) and settled once (a guarded UPDATE that only matches when every child is
final), so downstream trigger rules, run closing and repairs all read one parent state.
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import and_, case, delete, exists, insert, select, update

from cluster.states import CLAIMABLE_TASK_STATES, FINAL_TASK_STATE_VALUES, TaskState
from cluster.store.db import Store, retrying
from cluster.store.models import TaskInstance, XCom, utcnow

TI = TaskInstance.__table__
CHILD = TI.alias("child")
_CLAIMABLE = [s.value for s in CLAIMABLE_TASK_STATES]


@retrying
def expand(store: Store, run_pk: int, task_id: str, count: int, try_number: int) -> bool:
    """Move the parent from a claimable state to `mapped` (its try `try_number` is the
    expansion) and create `count` children in state none; True only for the one delivery
    that did it. Children left by an earlier expansion (before a clear) and their XComs
    are replaced."""
    now = utcnow()
    with store.engine.begin() as conn:
        parent = conn.execute(update(TI).where(
            TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index == -1,
            TI.c.state.in_(_CLAIMABLE)).values(
            state=TaskState.MAPPED.value, try_number=try_number, start_date=now,
            end_date=None, duration=None, error=None, next_retry_at=None).returning(
            TI.c.dag_id, TI.c.max_tries, TI.c.operator, TI.c.queue, TI.c.pool,
            TI.c.pool_slots)).first()
        if parent is None:
            return False
        conn.execute(delete(TI).where(TI.c.run_pk == run_pk, TI.c.task_id == task_id,
                                      TI.c.map_index >= 0))
        conn.execute(delete(XCom).where(XCom.run_pk == run_pk, XCom.task_id == task_id))
        if count:
            conn.execute(insert(TaskInstance), [{
                "run_pk": run_pk, "task_id": task_id, "map_index": i, "dag_id": parent[0],
                "state": TaskState.NONE.value, "try_number": 0, "max_tries": parent[1],
                "operator": parent[2], "queue": parent[3], "queued_at": now,
                # each child holds its pool slots while it runs, as in Airflow
                "pool": parent[4], "pool_slots": parent[5],
            } for i in range(count)])
    return True


def children(store: Store, run_pk: int, task_id: str) -> list[tuple[int, str, int]]:
    """(map_index, state, try_number) of a mapped task's children, in map_index order."""
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(  # type: ignore[misc]
            TI.c.map_index, TI.c.state, TI.c.try_number).where(
            TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index >= 0)
            .order_by(TI.c.map_index))]


def _child_in(states: Sequence[str], negate: bool = False):  # type: ignore[no-untyped-def]
    test = CHILD.c.state.not_in(states) if negate else CHILD.c.state.in_(states)
    return exists().where(and_(CHILD.c.run_pk == TI.c.run_pk, CHILD.c.task_id == TI.c.task_id,
                               CHILD.c.map_index >= 0, test))


# Any failed child fails the parent; all skipped skips it; otherwise it succeeded.
_SETTLED_STATE = case(
    (_child_in([TaskState.FAILED.value]), TaskState.FAILED.value),
    (_child_in([TaskState.UPSTREAM_FAILED.value]), TaskState.UPSTREAM_FAILED.value),
    (~_child_in([TaskState.SKIPPED.value], negate=True), TaskState.SKIPPED.value),
    else_=TaskState.SUCCESS.value)


@retrying
def settle(store: Store, run_pk: int, task_id: str) -> TaskState | None:
    """Give a mapped parent its final state once every child is final; returns that state
    for the one caller that set it, None otherwise (children pending, or already settled)."""
    now = utcnow()
    with store.engine.begin() as conn:
        row = conn.execute(update(TI).where(
            TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index == -1,
            TI.c.state == TaskState.MAPPED.value, ~_child_in(FINAL_TASK_STATE_VALUES, negate=True),
        ).values(state=_SETTLED_STATE, end_date=now).returning(
            TI.c.state, TI.c.start_date)).first()
        if row is None:
            return None
        state = TaskState(row[0])
        values: dict[str, object] = {}
        if row[1] is not None:
            start = row[1] if row[1].tzinfo else row[1].replace(tzinfo=now.tzinfo)
            values["duration"] = (now - start).total_seconds()
        if state in (TaskState.FAILED, TaskState.UPSTREAM_FAILED):
            bad = list(conn.execute(select(TI.c.map_index).where(
                TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index >= 0,
                TI.c.state == state.value).order_by(TI.c.map_index)).scalars())
            values["error"] = (f"mapped task instance(s) {state.value}: map_index "
                               + ", ".join(map(str, bad)))
        if values:
            conn.execute(update(TI).where(TI.c.run_pk == run_pk, TI.c.task_id == task_id,
                                          TI.c.map_index == -1).values(**values))
    return state


def settleable(store: Store, run_pks: Sequence[int]) -> list[tuple[int, str]]:
    """(run_pk, task_id) of mapped parents whose children are all final but which were not
    settled (the worker of the last child stopped in between): what a repair settles."""
    if not run_pks:
        return []
    with store.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(select(TI.c.run_pk, TI.c.task_id).where(
            TI.c.run_pk.in_(list(run_pks)), TI.c.map_index == -1,
            TI.c.state == TaskState.MAPPED.value, ~_child_in(FINAL_TASK_STATE_VALUES, negate=True)))]
