"""Operations on task instances by hand: clear (run again) and mark (set a state)."""
from __future__ import annotations

from sqlalchemy import case, delete, select, update

from cluster.states import FINAL_RUN_STATES, RunState, TaskState
from cluster.store.db import Store, retrying
from cluster.store.models import DagRun, JoinFired, TaskInstance, XCom, utcnow

TI = TaskInstance.__table__


@retrying
def clear(store: Store, run_pk: int, retries: dict[str, int]) -> None:
    """Reset the named task instances to run again (XComs, fired joins and mapped children
    go, the run is running again). A cleared try that was running is stopped by its
    worker's next heartbeat."""
    ids = list(retries)
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(delete(TI).where(TI.c.run_pk == run_pk, TI.c.task_id.in_(ids),
                                      TI.c.map_index >= 0))
        rows = conn.execute(select(TI.c.task_id, TI.c.try_number).where(
            TI.c.run_pk == run_pk, TI.c.task_id.in_(ids))).all()
        for task_id, tries in rows:
            conn.execute(update(TI).where(TI.c.run_pk == run_pk, TI.c.task_id == task_id).values(
                state=TaskState.NONE.value, max_tries=tries + retries[task_id],
                queued_at=now, start_date=None, end_date=None, duration=None, error=None,
                next_retry_at=None, hostname=None, pid=None, heartbeat_at=None))
        conn.execute(delete(XCom).where(XCom.run_pk == run_pk, XCom.task_id.in_(ids)))
        conn.execute(delete(JoinFired).where(JoinFired.run_pk == run_pk))
        # A run that was over starts again, with a fresh dagrun_timeout clock (Airflow
        # resets its start date); a running one keeps its clock.
        conn.execute(update(DagRun).where(DagRun.id == run_pk).values(
            state=RunState.RUNNING.value, end_date=None, start_date=case(
                (DagRun.state.in_([s.value for s in FINAL_RUN_STATES]), now),
                else_=DagRun.start_date)))


@retrying
def mark(store: Store, run_pk: int, task_id: str, state: TaskState, reason: str) -> str | None:
    """Set a task instance's state by hand; returns the state it had (None: no such task)."""
    now = utcnow()
    with store.engine.begin() as conn:
        before = conn.execute(select(TI.c.state).where(
            TI.c.run_pk == run_pk, TI.c.task_id == task_id, TI.c.map_index == -1)).scalar()
        if before is None:
            return None
        conn.execute(update(TI).where(TI.c.run_pk == run_pk, TI.c.task_id == task_id,
                                      TI.c.map_index == -1).values(
            state=state.value, end_date=now, error=reason, next_retry_at=None))
    return before
