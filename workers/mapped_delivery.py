"""Dynamic task mapping, the worker side: expand a mapped task into children, settle it.

The canvas holds one message for a mapped task. Its delivery, once the upstreams are
final, resolves the expand input, creates the children rows and replaces itself in the
canvas with a group of the children's messages: whatever followed the task in its chain
or chord now follows the group, so it runs after every child ended. The last child to end
settles the parent.
"""
from __future__ import annotations

import logging
from typing import Any

from celery import group

from cluster.planning import canvas

from cluster.sdk import expand as mapping, trigger_rules
from cluster.states import FINAL_TASK_STATE_VALUES, RunState, TaskState
from cluster.store import mapped as mapped_store
from cluster.store import runs as run_store
from cluster.store import tasks as ti_store
from cluster.store import logs as log_store
from cluster.store import xcoms as xcom_store

from workers.runtime import WorkerRuntime

log = logging.getLogger("chordflow.worker")


def child_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A child's spec: its parent already weighed the upstreams, so a child has none."""
    return {**spec, "upstream": [], "trigger_rule": trigger_rules.TriggerRule.ALL_SUCCESS}


def _pull(rt: WorkerRuntime, run_pk: int):  # type: ignore[no-untyped-def]
    def pull(task_id: str, key: str) -> Any:
        return xcom_store.pull_xcoms(rt.store, run_pk, [task_id], key).get(task_id)
    return pull


def prepare_child(rt: WorkerRuntime, task: Any, run_pk: int, map_index: int) -> None:
    """Set child `map_index`'s values on a copy of the mapped operator (before rendering)."""
    rows = mapping.expansion(task._expand_input, _pull(rt, run_pk))
    if map_index >= len(rows):
        raise mapping.MappingError(f"the expand input now has {len(rows)} item(s); "
                                   f"map_index {map_index} is gone")
    mapping.unmap(task, rows[map_index])
    task._mapped_values = rows[map_index]  # what a container runner passes on


def _children_group(app: Any, rt: WorkerRuntime, data: dict[str, Any], spec: dict[str, Any],
                    run_pk: int, pending_only: bool) -> Any:
    sigs = [canvas.task_signature(app, run_pk, data["dag_id"], spec["task_id"],
                                  tries + 1, spec.get("queue"), map_index)
            for map_index, state, tries in mapped_store.children(rt.store, run_pk,
                                                                 spec["task_id"])
            if not (pending_only and state in FINAL_TASK_STATE_VALUES)]
    return group(sigs) if sigs else None


def deliver_parent(celery_task: Any, rt: WorkerRuntime, data: dict[str, Any],
                   spec: dict[str, Any], run_pk: int, try_number: int) -> str:
    """A delivery of a mapped task's own message: expand it once its upstreams are final,
    then hand its place in the canvas to its children (never returns after replacing)."""
    task_id = spec["task_id"]
    who = f"{data['dag_id']}.{task_id} run={run_pk}"
    delivery = ti_store.load_delivery(rt.store, run_pk, task_id, trigger_rules.watched(spec))
    if delivery is None:
        log.error("%s: no task instance row", who)
        return "missing"
    if delivery.state in FINAL_TASK_STATE_VALUES:
        return f"noop:{delivery.state}"
    if delivery.state == TaskState.MAPPED.value:
        # A second delivery (redelivered after a lost worker): the children still pending
        # take its place too, so the continuation still waits for them.
        again = _children_group(celery_task.app, rt, data, spec, run_pk, pending_only=True)
        if again is None:
            settle_parent(rt, data, run_pk, task_id)
            return "noop:mapped"
        raise celery_task.replace(again)
    if delivery.run_state != RunState.RUNNING.value:
        return f"noop:run-{delivery.run_state}"
    if not trigger_rules.spec_ready(spec, delivery.upstream_states):
        return "noop:early"
    verdict, reason = trigger_rules.spec_verdict(spec, delivery.upstream_states)
    if verdict is not None:
        return _settle_unexpanded(rt, data, run_pk, task_id, try_number, verdict, reason)
    task = rt.dag(data).get_task(task_id)
    try:
        rows = mapping.expansion(task._expand_input, _pull(rt, run_pk))
    except mapping.MappingError as exc:
        return _settle_unexpanded(rt, data, run_pk, task_id, try_number, TaskState.FAILED, str(exc))
    if not rows:
        return _settle_unexpanded(rt, data, run_pk, task_id, try_number, TaskState.SKIPPED,
                                  "expanded into zero task instances")
    if not mapped_store.expand(rt.store, run_pk, task_id, len(rows), try_number):
        return "noop:expanded-elsewhere"
    log_store.append_log(rt.store, run_pk, task_id, try_number,
                        f"expanded into {len(rows)} mapped task instance(s)\n")
    log.info("%s: expanded into %d mapped task instance(s)", who, len(rows))
    raise celery_task.replace(
        _children_group(celery_task.app, rt, data, spec, run_pk, pending_only=False))


def _settle_unexpanded(rt: WorkerRuntime, data: dict[str, Any], run_pk: int, task_id: str,
                       try_number: int, state: TaskState, reason: str) -> str:
    if ti_store.settle_without_running(rt.store, run_pk, task_id, state, reason):
        log_store.append_log(rt.store, run_pk, task_id, try_number, f"{state.value}: {reason}\n")
        log.info("run %s mapped task %s: %s (%s)", run_pk, task_id, state.value, reason)
        run_store.close_run_if_done(rt.store, run_pk, data["_leaves"])
    return state.value


def settle_parent(rt: WorkerRuntime, data: dict[str, Any], run_pk: int, task_id: str) -> None:
    """After a child's delivery: the parent's final state if that child was the last one."""
    state = mapped_store.settle(rt.store, run_pk, task_id)
    if state is None:
        return
    log.info("run %s mapped task %s: %s", run_pk, task_id, state.value)
    if task_id in data["_closers"]:
        closed = run_store.close_run_if_done(rt.store, run_pk, data["_leaves"])
        if closed is not None:
            log.info("run %s of %s: %s", run_pk, data["dag_id"], closed.value)
