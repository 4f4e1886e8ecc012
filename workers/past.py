"""`depends_on_past` / `wait_for_downstream`: may this task instance start, given the
same task in the DAG's previous run? Airflow's rules (its PrevDagrunDep)."""
from __future__ import annotations

from typing import Any

from cluster.states import TaskState
from cluster.store import Store
from cluster.store import past as past_store

_DONE = {TaskState.SUCCESS.value, TaskState.SKIPPED.value}


def unmet_reason(store: Store, run: Any, data: dict[str, Any], spec: dict[str, Any],
                 downstream: list[str], catchup: bool, map_index: int = -1) -> str | None:
    """Why the task must wait for the past (None: it may start).

    The previous run is the one with the latest earlier logical date (manual runs left out
    for catchup DAGs). No previous run, or a previous run without this task (when
    `ignore_first_depends_on_past` and the task never ran before), lets it start. The
    previous instance must be success or skipped, and with `wait_for_downstream` so must
    the instances of the task's direct downstream tasks in that run.
    """
    task_id = spec["task_id"]
    wanted = [task_id] + (downstream if spec.get("wait_for_downstream") else [])
    prev = past_store.previous_run(store, data["dag_id"], run.logical_date, wanted, map_index,
                                   scheduled_only=catchup)
    if prev is None:
        return None
    state = prev.states.get(task_id)
    if state is None:
        if spec.get("ignore_first_depends_on_past", True) and not past_store.ran_before(
                store, data["dag_id"], task_id, run.logical_date):
            return None
        return ("depends_on_past is true for this task's DAG, but the previous task instance "
                f"(run {prev.run_id}) has not run yet")
    if state not in _DONE:
        return (f"depends_on_past is true for this task, but the previous task instance "
                f"(run {prev.run_id}) is in the state {state!r} which is not a successful state")
    if spec.get("wait_for_downstream"):
        pending = sorted(d for d in downstream if prev.states.get(d, TaskState.NONE.value)
                         not in _DONE)
        if pending:
            return (f"the tasks downstream of the previous task instance (run {prev.run_id}) "
                    f"haven't completed (and wait_for_downstream is True): {', '.join(pending)}")
    return None
