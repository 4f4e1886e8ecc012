"""One delivery of a task instance: decide, claim, run, record — never raise for a task failure.

The store is the truth and the canvas is the order: a delivery of a task that is final,
running elsewhere, or whose upstreams are not all final does nothing, so duplicate and
early deliveries are harmless and chords always fire.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import traceback
from typing import Any

from celery import Celery
from celery.exceptions import Retry
from sqlalchemy.exc import OperationalError

from cluster.planning import canvas

from cluster.sdk import retry_policy, trigger_rules
from cluster.sdk.operators import branch
from cluster.planning.serialization import downstream_map
from cluster.sdk.exceptions import DownstreamTasksSkipped, skipped_task_ids
from cluster.errors import (AirflowFailException, AirflowRescheduleException,
                            AirflowSkipException)
from cluster.states import FINAL_TASK_STATE_VALUES, RunState, TaskState
from cluster.store import assets as asset_store
from cluster.store import dags as dag_store
from cluster.store import pools as pool_store
from cluster.store import runs as run_store
from cluster.store import tasks as ti_store
from cluster.store.models import utcnow
from cluster.control.retries import next_retry_in
from cluster.sdk.xcom_arg import RETURN_KEY

from workers.callbacks import run_execute_callback, run_task_callback
from workers import chord_keys, mapped_delivery, past
from workers.context import build_context, to_json
from workers.logs import TaskLogWriter, capture, first_line, storable
from workers.rendered import render_and_record
from workers.runners import get_runner
from workers.runtime import WorkerRuntime, runtime
from workers.task_api.tries import TryFailed

log = logging.getLogger("chordflow.worker")
POOL_WAIT = 0.5  # seconds before a task whose pool is full asks again
PAST_WAIT = 1.0  # seconds before a task waiting for its previous run's instance asks again


def run_delivery(celery_task: Any, run_pk: int, task_id: str, try_number: int,
                 map_index: int = -1) -> str:
    rt = runtime()
    run = rt.run_info(run_pk)
    data = dag_store.version_data(rt.store, run.dag_version_id)
    spec = data["_index"].get(task_id)
    if spec is None:
        log.error("run %s has no task %s", run_pk, task_id)
        return "missing"
    if spec.get("mapped"):
        if map_index < 0:
            return mapped_delivery.deliver_parent(celery_task, rt, data, spec, run_pk, try_number)
        try:
            return _deliver(celery_task, rt, run, data, mapped_delivery.child_spec(spec), try_number,
                            map_index)
        finally:  # whatever this delivery did, the parent may now be settled
            mapped_delivery.settle_parent(rt, data, run_pk, task_id)
    return _deliver(celery_task, rt, run, data, spec, try_number, map_index)


def _deliver(celery_task: Any, rt: WorkerRuntime, run: Any, data: dict[str, Any],
             spec: dict[str, Any], try_number: int, map_index: int) -> str:
    """Decide, claim, run and record one delivery of a task instance."""
    run_pk, task_id = run.run_pk, spec["task_id"]
    limits = pool_store.Limits(
        spec.get("pool"), spec.get("pool_slots") or 1, spec.get("max_active_tis_per_dag"),
        spec.get("max_active_tis_per_dagrun"), data.get("max_active_tasks"))
    limited = bool(limits)
    if spec["trigger_rule"] == trigger_rules.TriggerRule.ALL_SUCCESS and not limited \
            and not spec.get("depends_on_past") and not spec.get("setup_scope"):
        # The common case in one round trip; anything else is decided below.
        claimed = ti_store.claim_if_upstreams_succeeded(
            rt.store, run, task_id, try_number, spec["upstream"], rt.hostname, rt.pid,
            map_index)
        if claimed is not None:
            return _run_claimed(celery_task, rt, data, spec, claimed, try_number, map_index)
    delivery = ti_store.load_delivery(rt.store, run_pk, task_id, trigger_rules.watched(spec),
                                      map_index)
    who = f"{data['dag_id']}.{task_id} run={run_pk} try={try_number}"
    if delivery is None:
        log.error("%s: no task instance row", who)
        return "missing"
    if delivery.state in FINAL_TASK_STATE_VALUES or delivery.state == TaskState.RUNNING.value:
        log.debug("%s: already %s, nothing to do", who, delivery.state)
        return f"noop:{delivery.state}"
    if delivery.run_state != RunState.RUNNING.value:
        return f"noop:run-{delivery.run_state}"
    if not trigger_rules.spec_ready(spec, delivery.upstream_states):
        log.debug("%s: early delivery, upstreams not final", who)
        return "noop:early"
    verdict, reason = trigger_rules.spec_verdict(spec, delivery.upstream_states)
    if verdict is not None:
        _settle(celery_task.app, rt, data, run_pk, task_id, map_index, verdict, reason, who)
        return verdict.value
    if spec.get("depends_on_past"):
        waiting = past.unmet_reason(
            rt.store, run, data, spec, downstream_map(data)[task_id],
            rt.settings.catchup_by_default if data.get("catchup") is None else data["catchup"],
            map_index)
        if waiting is not None:
            # Airflow leaves the task waiting until the past allows it; the message comes
            # back later, and the reaper is told it is not lost.
            log.info("%s: waiting: %s", who, waiting)
            ti_store.mark_queued(rt.store, run_pk, task_id, map_index)
            raise celery_task.retry(args=(run_pk, task_id, try_number, map_index),
                                    countdown=PAST_WAIT, max_retries=None)
    if limited:
        claimed = pool_store.claim_within_limits(
            rt.store, run_pk, data["dag_id"], task_id, try_number, rt.hostname, rt.pid,
            map_index, limits)
    else:
        claimed = ti_store.claim(rt.store, run_pk, task_id, try_number, rt.hostname, rt.pid,
                                 map_index)
    if claimed == pool_store.NO_POOL:
        reason = (f"pool {spec['pool']!r} does not exist (create it: chordflow pools set "
                  f"{spec['pool']} SLOTS)")
        _settle(celery_task.app, rt, data, run_pk, task_id, map_index, TaskState.FAILED, reason,
                who)
        return "failed:no-pool"
    if claimed == pool_store.FULL:
        # No slot: the message comes back later and the worker process is free meanwhile.
        raise celery_task.retry(args=(run_pk, task_id, try_number, map_index),
                                countdown=POOL_WAIT, max_retries=None)
    if claimed is None:
        return "noop:claimed-elsewhere"
    delivery = dataclasses.replace(delivery, max_tries=claimed[0], start_date=claimed[1])
    return _run_claimed(celery_task, rt, data, spec, delivery, try_number, map_index)


def _run_claimed(celery_task: Any, rt: WorkerRuntime, data: dict[str, Any],
                 spec: dict[str, Any], delivery: Any, try_number: int, map_index: int) -> str:
    """Execute a claimed try, close the run after its last leaf, hand a retry to Celery."""
    run_pk, task_id = delivery.run_pk, spec["task_id"]
    key = (run_pk, task_id, map_index, try_number)
    group = chord_keys.group_of(celery_task.request)
    if group:  # its chord's counters are renewed while it runs
        rt.chords[key] = (celery_task.app, group)
        chord_keys.refresh(celery_task.app, [group], rt.settings.chord_expires)
    try:
        state, retry_in, pending = _execute(rt, data, spec, delivery, try_number, map_index)
    finally:
        rt.chords.pop(key, None)
    if state is TaskState.FAILED and data.get("fail_stop"):
        _stop_run(celery_task.app, rt, run_pk, data, task_id)
    elif not pending:  # a leaf ended (or a branch skipped some), maybe nothing is left
        _close_if_done(celery_task.app, rt, run_pk, data)
    if retry_in is not None:
        # Celery's retry keeps the message's place in its chain and chord; a rescheduled
        # sensor comes back under the same try number.
        again = try_number if state is TaskState.UP_FOR_RESCHEDULE else try_number + 1
        raise celery_task.retry(args=(run_pk, task_id, again, map_index),
                                countdown=retry_in, max_retries=None)
    return state.value


def _settle(app: Celery, rt: WorkerRuntime, data: dict[str, Any], run_pk: int, task_id: str,
            map_index: int, state: TaskState, reason: str, who: str) -> None:
    """End a task instance without running it (trigger rule, missing pool); maybe the run."""
    if ti_store.settle_without_running(rt.store, run_pk, task_id, state, reason, map_index):
        log.log(logging.ERROR if state is TaskState.FAILED else logging.INFO, "%s: %s (%s)",
                who, state.value, reason)
        _close_if_done(app, rt, run_pk, data)


def _stop_run(app: Celery, rt: WorkerRuntime, run_pk: int, data: dict[str, Any],
              task_id: str) -> None:
    """The DAG's fail_stop: a failed task fails the run at once; its running tries fail
    (their workers stop them at the next heartbeat) and the rest is skipped."""
    stopped = run_store.end_run(rt.store, run_pk, RunState.FAILED,
                                f"fail_stop: task {task_id} failed")
    if stopped is not None:
        log.info("run %s of %s: failed (fail_stop after %s; stopped %s)", run_pk,
                 data["dag_id"], task_id, ", ".join(stopped) or "nothing")
        canvas.announce_run_end(app, run_pk, data["dag_id"], data, RunState.FAILED)


def _close_if_done(app: Celery, rt: WorkerRuntime, run_pk: int, data: dict[str, Any]) -> None:
    closed = run_store.close_run_if_done(rt.store, run_pk, data["_leaves"])
    if closed is not None:
        log.info("run %s of %s: %s", run_pk, data["dag_id"], closed.value)
        canvas.announce_run_end(app, run_pk, data["dag_id"], data, closed)


def _execute(rt: WorkerRuntime, data: dict[str, Any], spec: dict[str, Any], delivery: Any,
             try_number: int, map_index: int) -> tuple[TaskState, float | None, bool]:
    """Run the claimed try and record its end; returns the state, a retry delay and
    whether the run still has pending task instances (looked up for leaves only)."""
    run_pk, task_id = delivery.run_pk, spec["task_id"]
    start = utcnow()
    writer = TaskLogWriter(rt.store, run_pk, task_id, try_number, map_index,
                           max_bytes=rt.settings.task_log_max_bytes)
    key = (run_pk, task_id, map_index, try_number)
    rt.running[key] = writer
    rt.start_heartbeat()
    xcoms: dict[str, str] = {}
    error: str | None = None
    state = TaskState.SUCCESS
    no_retry = False
    reschedule_at = None
    task = context = failure = None
    skip: list[str] = []
    policy_delay: float | None = None  # a retry policy's delay for the next try
    try:
        if spec.get("is_empty"):
            writer.line("EmptyOperator: nothing to run")
        else:
            dag = rt.dag(data)
            # The loaded DAG is cached for the next deliveries: render a copy, never it.
            task = copy.copy(dag.get_task(task_id))
            if map_index >= 0:
                mapped_delivery.prepare_child(rt, task, run_pk, map_index)
            if rt.runner is None:
                rt.runner = get_runner(rt.settings)
            writer.line(f"try {try_number} of {dag.dag_id}.{task_id}"
                        + (f"[{map_index}]" if map_index >= 0 else "") + " "
                        f"on {rt.hostname} with the {rt.runner.name} runner")
            context = build_context(rt.store, dag, task, delivery, try_number,
                                    spec["upstream"], map_index)
            render_and_record(rt.store, task, context, run_pk, try_number, map_index)
            if "on_execute_callback" in spec.get("callbacks", ()):
                run_execute_callback(task, context, writer)
            with rt.cancellation.cancellable(key):
                result = rt.runner.execute(task, context, writer, spec.get("execution_timeout"))
            if spec.get("skips"):
                skip = branch.to_skip(spec["skips"], result, *_downstream(data, task_id),
                                      groups=data.get("task_groups"))
            if task.do_xcom_push and result is not None:
                xcoms[RETURN_KEY] = to_json(result)
                if task.multiple_outputs and isinstance(result, dict):
                    for k, v in result.items():
                        xcoms[str(k)] = to_json(v)
            writer.line("done: success")
    except DownstreamTasksSkipped as exc:  # SkipMixin.skip(): a success that skips others
        below = _downstream(data, task_id)[1]
        skip = skipped_task_ids(exc.tasks)
        outside = sorted(set(skip) - set(below))
        if outside:
            state, error = TaskState.FAILED, (f"AirflowException: cannot skip {', '.join(outside)}:"
                                              f" not downstream of {task_id}")
            writer.line(f"failed: {error}")
            skip = []
        else:
            writer.line("done: success")
    except AirflowSkipException as exc:
        state, error = TaskState.SKIPPED, str(exc) or "skipped"
        writer.line(f"skipped: {error}")
    except AirflowRescheduleException as exc:
        state, reschedule_at = TaskState.UP_FOR_RESCHEDULE, exc.reschedule_date
        writer.line(f"not yet; poking again at {reschedule_at.isoformat(timespec='seconds')}")
    except BaseException as exc:  # a task may raise anything; the chord must still fire
        if isinstance(exc, (KeyboardInterrupt, Retry)):
            raise
        state, failure = TaskState.FAILED, exc
        if isinstance(exc, TryFailed):  # raised in the try's own process, which printed it
            error, no_retry, failure = exc.error, exc.final, exc.as_raised()
            policy_delay = exc.retry_delay  # and asked the retry policy there
        else:
            error = f"{type(exc).__name__}: {exc}"
            # isinstance: subclasses too (AirflowSensorTimeout), which a name check misses
            no_retry = isinstance(exc, AirflowFailException)
            writer.write("".join(traceback.format_exception(exc)))
            with capture(writer):
                decision = retry_policy.decide(task, exc, try_number, context) \
                    if task is not None else None
            no_retry = no_retry or (decision is not None and
                                    decision.action is retry_policy.RetryAction.FAIL)
            if decision is not None and decision.action is retry_policy.RetryAction.RETRY \
                    and decision.retry_delay is not None:
                policy_delay = decision.retry_delay.total_seconds()
        writer.line(f"failed: {error}")
    retry_in = None
    next_retry_at = None
    if state is TaskState.UP_FOR_RESCHEDULE:
        next_retry_at = reschedule_at
        retry_in = max(0.0, (reschedule_at - utcnow()).total_seconds())
    max_tries = max(delivery.max_tries, spec.get("retries", 0))
    again_in = next_retry_in(spec, try_number, delivery.max_tries)
    if state is TaskState.FAILED and again_in is not None and not no_retry:
        retry_in = again_in if policy_delay is None else policy_delay
        next_retry_at = utcnow() + dt.timedelta(seconds=retry_in)
        state = TaskState.UP_FOR_RETRY
        writer.line(f"up for retry in {retry_in:g}s (try {try_number + 1} of {max_tries + 1})")
    if skip and state is TaskState.SUCCESS:
        skipped = ti_store.skip_tasks(rt.store, run_pk, skip, f"skipped by {task_id}")
        writer.line(f"skipping {', '.join(skipped) or 'nothing'} (not followed)")
    if spec.get("callbacks"):
        run_task_callback(task, context, state, failure, writer)
    # The rest of the log goes in the same transaction as the try's end, and a leaf asks
    # there whether anything of the run is left: one round trip. The try heartbeats until
    # its end is recorded: a finish retried across a database restart must not find it
    # taken as lost (and run again) meanwhile.
    check_pending = task_id in data["_closers"] or bool(skip)
    try:
        return _record(rt, data, spec, delivery, try_number, map_index, writer, state, start,
                       error, xcoms, next_retry_at, retry_in, check_pending,
                       context.get("outlet_events") if context else None)
    finally:
        rt.running.pop(key, None)


def _record(rt: WorkerRuntime, data: dict[str, Any], spec: dict[str, Any], delivery: Any,
            try_number: int, map_index: int, writer: TaskLogWriter, state: TaskState,
            start: dt.datetime, error: str | None, xcoms: dict[str, str],
            next_retry_at: dt.datetime | None, retry_in: float | None, check_pending: bool,
            outlet_events: Any = None) -> tuple[TaskState, float | None, bool]:
    """Record a try's end (or, when the store refuses it, its failure)."""
    run_pk, task_id = delivery.run_pk, spec["task_id"]
    try:
        recorded, pending = ti_store.finish(
            rt.store, run_pk, task_id, try_number, state, start,
            storable(error) if error else error, xcoms, next_retry_at, map_index,
            log_text=writer.take(), check_pending=check_pending)
    except OperationalError:  # the database stayed away: the try stays running, and is
        raise                 # reaped as lost unless a redelivery finds it
    except Exception as exc:  # the store refused the outcome itself
        state, retry_in, next_retry_at = _unrecordable(spec, delivery, try_number, exc)
        writer.line(f"failed: the try's outcome could not be recorded: {first_line(exc)}")
        if retry_in is not None:
            writer.line(f"up for retry in {retry_in:g}s")
        log.error("%s.%s try %s: outcome not recordable, recorded as %s", delivery.dag_id,
                  task_id, try_number, state.value, exc_info=True)
        recorded, pending = ti_store.finish(
            rt.store, run_pk, task_id, try_number, state, start,
            storable(f"outcome not recordable: {first_line(exc)}"), None, next_retry_at,
            map_index, log_text=writer.take(), check_pending=True)
    if not recorded:
        log.warning("%s.%s try %s: the store no longer expects this try; result dropped",
                    delivery.dag_id, task_id, try_number)
        return TaskState(state), None, True
    reported = outlet_events.as_json() if outlet_events is not None else {}
    if state is TaskState.SUCCESS and (spec.get("outlets") or reported.get("aliases")):
        asset_store.record_events(rt.store, spec.get("outlets") or [], delivery.dag_id, task_id,
                                  delivery.run_id, map_index, reported.get("extras"),
                                  reported.get("aliases"))
    return state, retry_in, pending


def _unrecordable(spec: dict[str, Any], delivery: Any, try_number: int, exc: Exception
                  ) -> tuple[TaskState, float | None, dt.datetime | None]:
    """A try whose outcome the store refused is a failed try (retried if it may be)."""
    again_in = next_retry_in(spec, try_number, delivery.max_tries)
    if again_in is None:
        return TaskState.FAILED, None, None
    return TaskState.UP_FOR_RETRY, again_in, utcnow() + dt.timedelta(seconds=again_in)


def _downstream(data: dict[str, Any], task_id: str) -> tuple[list[str], list[str]]:
    """A task's direct downstream ids and all of its descendants."""
    below = downstream_map(data)
    seen: list[str] = []
    todo = list(below[task_id])
    while todo:
        nxt = todo.pop(0)
        if nxt not in seen:
            seen.append(nxt)
            todo.extend(below[nxt])
    return list(below[task_id]), seen


def arrive_at_join(app: Celery, run_pk: int, task_id: str) -> str:
    """Launch the join's continuation once the upstreams of `task_id` decide it (all final,
    or one that fires an early rule), once only."""
    rt = runtime()
    version_id = rt.run_version(run_pk)
    data = dag_store.version_data(rt.store, version_id)
    spec = data["_index"][task_id]
    states = ti_store.upstream_states(rt.store, run_pk, trigger_rules.watched(spec))
    if not trigger_rules.spec_ready(spec, states):
        return "waiting"
    if not ti_store.fire_join(rt.store, run_pk, task_id):
        return "already-fired"
    node = rt.plan(version_id, data).joins.get(task_id)
    if node is None:
        # Not a join of the plan: a repair's arrival (after a resent task, or a mapped
        # task's resent child). The task goes alone, arriving at its own downstream.
        from cluster.control.scheduler import repair_task_signature

        tries = ti_store.next_tries(rt.store, run_pk, [task_id])
        repair_task_signature(app, run_pk, data["dag_id"], task_id, tries.get(task_id, 1),
                              data).apply_async()
        return "fired"
    tries = ti_store.next_tries(rt.store, run_pk, canvas.task_ids(node))
    canvas.build(app, node, run_pk, data["dag_id"], data["_index"], tries).apply_async()
    return "fired"
