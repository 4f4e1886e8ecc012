"""The worker's side of one try on the API: grant a token, read back what the try said."""
from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import os
import signal
from typing import Any, Iterator

from cluster.sdk import exceptions as airflow_exceptions
from cluster.errors import AirflowException, AirflowRescheduleException, AirflowSkipException
from cluster.json_values import json_safe

from workers.task_api.grants import Grant
from workers.task_api.protocol import Signal
from workers.task_api.server import TaskApi


def try_key(context: dict[str, Any]) -> tuple[int, str, int, int]:
    ti = context["ti"]
    return (int(ti.run_pk), str(ti.task_id), int(getattr(ti, "map_index", -1)),
            int(ti.try_number))


def try_context(dags_folder: Any, context: dict[str, Any]) -> dict[str, Any]:
    """What the `context` call answers: ids, dates, conf, upstream, the rendered fields."""
    ti, dag, task = context["ti"], context["dag"], context["task"]
    return {
        "dag_file": os.path.relpath(dag.fileloc, str(dags_folder)), "dag_id": dag.dag_id,
        "task_id": ti.task_id, "try_number": ti.try_number, "run_pk": ti.run_pk,
        "run_id": ti.run_id,
        "start_date": ti.start_date.isoformat() if getattr(ti, "start_date", None) else None,
        "logical_date": context["logical_date"].isoformat(),
        "data_interval": [context["data_interval_start"].isoformat(),
                          context["data_interval_end"].isoformat()],
        "run_type": getattr(context["dag_run"], "run_type", "manual"),
        "conf": context["dag_run"].conf, "upstream": list(ti.upstream),
        # asset events only when the task can look at some (no query otherwise)
        "asset_events": {
            name: [e.as_json() for e in context[name].records()]
            for name, wanted in (
                ("triggering_asset_events",
                 getattr(dag.timetable, "asset_condition", None) is not None),
                ("inlet_events", bool(getattr(task, "inlets", None))))
            if wanted and name in context},
        "inlet_alias_events": {
            name: [e.as_json() for e in events]
            for name, events in (context["inlet_events"].alias_events().items()
                                 if "inlet_events" in context else ())},
        # a mapped task's child: which one, and its values (set again on the task side)
        "map_index": context.get("map_index", -1),
        "mapped_values": json_safe(getattr(task, "_mapped_values", None)),
        "rendered": exact_json({f: getattr(task, f, None) for f in task.template_fields}),
    }


def exact_json(fields: dict[str, Any]) -> dict[str, Any] | None:
    """The rendered fields when JSON carries them unchanged (else the try renders itself)."""
    try:
        if json.loads(json.dumps(fields)) == fields:
            return fields
    except (TypeError, ValueError):
        pass
    return None


@contextlib.contextmanager
def granted(api: TaskApi, dags_folder: Any, context: dict[str, Any],
            timeout: float | None) -> Iterator[Grant]:
    """A grant for the try of `context`, revoked when the block ends (whatever happened)."""
    grant = api.grants.issue(try_key(context), try_context(dags_folder, context), timeout)
    try:
        yield grant
    finally:
        api.grants.revoke(grant.token)
        if grant.outlet_events and context.get("outlet_events") is not None:
            # what the try set on its outlets' events, for the worker to record
            context["outlet_events"].load(grant.outlet_events)


class TryFailed(AirflowException):
    """The try raised: `error` is what it raised ("Type: message", as the try saw it; the
    try printed its traceback into the log), `final` whether retries are barred."""

    def __init__(self, error: str, final: bool, retry_delay: float | None = None) -> None:
        super().__init__(error)
        self.error, self.final, self.retry_delay = error, final, retry_delay

    def as_raised(self) -> BaseException:
        """The exception as the try raised it, for callbacks' `context["exception"]`, when
        its class is one of Airflow's or a built-in one; else this failure itself."""
        name, _, message = self.error.partition(": ")
        cls = getattr(airflow_exceptions, name, None) or getattr(builtins, name, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                return cls(message)
            except Exception:
                pass
        return self


def conclude(grant: Grant, exit_code: int, what: str) -> Any:
    """The try's value, or what it signalled raised here, or its failure."""
    if grant.signal is Signal.SKIP:
        raise AirflowSkipException(grant.signal_message or "skipped")
    if grant.signal is Signal.SKIP_DOWNSTREAM:
        raise airflow_exceptions.DownstreamTasksSkipped(tasks=json.loads(grant.signal_message))
    if grant.signal is Signal.RESCHEDULE:
        raise AirflowRescheduleException(dt.datetime.fromisoformat(grant.signal_message))
    if grant.signal in (Signal.FAIL, Signal.ERROR):
        raise TryFailed(grant.signal_message, final=grant.signal is Signal.FAIL,
                        retry_delay=grant.retry_delay)
    if exit_code != 0:  # ended without a word (killed, out of memory, os._exit)
        how = (f"was killed by {_signal_name(-exit_code)}" if exit_code < 0
               else f"exited with code {exit_code}")
        raise TryFailed(f"AirflowException: {what} {how}", final=False)
    return grant.result if grant.has_result else None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def ended_elsewhere(rt: Any, context: dict[str, Any]) -> str | None:
    """Why a try whose process or container ended without a word was stopped, when it was
    ended elsewhere (cancelled, marked, cleared: its worker's heartbeat, or the orphan
    sweep that removes containers of tries no longer running, stopped it); else None."""
    key = try_key(context)
    reason = rt.cancellation.reason(key)
    if reason:
        return reason
    from cluster.store import tasks as ti_store

    run_pk, task_id, _, try_number = key
    if (run_pk, task_id, try_number) in ti_store.running_tries(rt.store, [(run_pk, task_id,
                                                                            try_number)]):
        return None
    return "the try was ended elsewhere (run cancelled or timed out, task marked or cleared)"
