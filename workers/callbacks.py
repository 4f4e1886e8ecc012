"""Airflow's callbacks: a task's on_execute / on_success / on_failure / on_retry /
on_skipped, a DAG's on_success / on_failure. A callback that raises is logged; it never
changes a state."""
from __future__ import annotations

import logging
import traceback
from typing import Any, Callable

from cluster.states import TaskState
from cluster.store import dags as dag_store
from cluster.store import runs as run_store
from cluster.sdk.templating import template_context

log = logging.getLogger("chordflow.worker")
_TASK_CALLBACKS = {TaskState.SUCCESS: "on_success_callback",
                   TaskState.FAILED: "on_failure_callback",
                   TaskState.UP_FOR_RETRY: "on_retry_callback",
                   # only a skip the task raised (AirflowSkipException), as in Airflow
                   TaskState.SKIPPED: "on_skipped_callback"}


def _call_all(callback: Callable | list[Callable] | None, context: dict[str, Any],
              write: Callable[[str], None], what: str) -> None:
    for fn in callback if isinstance(callback, (list, tuple)) else [callback]:
        if fn is None:
            continue
        try:
            fn(context)
        except Exception:
            write(f"{what} {getattr(fn, '__name__', fn)} raised:\n{traceback.format_exc()}")


def run_task_callback(task: Any, context: dict[str, Any] | None, state: TaskState,
                      error: BaseException | None, writer: Any) -> None:
    """The task's callback for the state its try ended in, its output in the task log."""
    name = _TASK_CALLBACKS.get(state)
    if name is None or context is None or getattr(task, name, None) is None:
        return
    context = {**context, "exception": error, "reason": str(error) if error else None}
    writer.line(f"running {name}")
    _call_all(getattr(task, name), context, writer.write, name)


def run_execute_callback(task: Any, context: dict[str, Any], writer: Any) -> None:
    """The task's on_execute_callback, right before its try executes (in the worker)."""
    if getattr(task, "on_execute_callback", None) is not None:
        writer.line("running on_execute_callback")
        _call_all(task.on_execute_callback, context, writer.write, "on_execute_callback")


def run_dag_callback(run_pk: int, state: str) -> str:
    """The DAG's callback for an ended run (in a worker, which can load the DAG file)."""
    from workers.context import DagRunContext
    from workers.task_context import stored_interval
    from workers.runtime import runtime

    rt = runtime()
    run = rt.run_info(run_pk)
    data = dag_store.version_data(rt.store, run.dag_version_id)
    dag = rt.dag(data)
    name = "on_success_callback" if state == "success" else "on_failure_callback"
    row = run_store.get_run(rt.store, run_pk)
    context = {**template_context(run.logical_date, dag.timetable, stored_interval(run)),
               "dag": dag,
               "dag_run": DagRunContext(run), "run_id": run.run_id, "params": dict(dag.params),
               "reason": "success" if state == "success" else "task failure",
               "conf": {}, "state": row.state}
    _call_all(getattr(dag, name, None), context,
              lambda text: log.error("DAG %s run %s: %s", dag.dag_id, run_pk, text), name)
    return f"{name}:done"
