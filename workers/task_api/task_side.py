"""Inside a running try: its context, XComs, variables and connections through the task API.

The same code (`run_try`) runs a try in a task container or pod (from
workers/container_entry.py) and in the process runner's child (workers/runners/template.py):
the context is built by workers/task_context.py, templates by cluster/sdk/templating.py, and
`Variable` / `BaseHook.get_connection` read through `ApiSecretsBackend`. Results and
signals go back as calls, never as output: whatever the task prints is log text only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import logging
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from cluster.compat import namespace as compat

from cluster.sdk import deferral, retry_policy

from cluster.sdk import secrets
from cluster.sdk.connection import Connection
from cluster.sdk.context_var import use_context
from cluster.errors import (AirflowFailException, AirflowRescheduleException,
                            AirflowSkipException, NotFoundError)
from cluster.sdk.exceptions import AirflowTaskTerminated, DownstreamTasksSkipped, skipped_task_ids
from cluster.control.loader import add_to_sys_path, load_dags_from_file
from cluster.sdk.expand import unmap
from cluster.sdk.templating import render_fields

from workers.task_context import TryFacts, make_context, to_json
from workers.task_api.client import TaskApiClient, TaskApiError
from workers.task_api.protocol import Call, Signal

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(name)s: %(message)s"


class ApiXComs:
    """XComs of the try through the API (scoped to its run unless a DAG/run is named)."""

    def __init__(self, client: TaskApiClient) -> None:
        self.client = client

    def pull(self, task_ids: list[str], key: str, dag_id: str | None = None,
             run_id: str | None = None, map_index: int | None = None) -> dict[str, Any]:
        return self.client.call(Call.XCOM_PULL, task_ids=task_ids, key=key, dag_id=dag_id,
                                run_id=run_id, map_index=map_index)["values"]

    def push(self, key: str, value: Any) -> None:
        self.client.call(Call.XCOM_PUSH, key=key, value=value)


class ApiSecretsBackend:
    """Variables and connections through the API; cluster/sdk/secrets.py masks what it returns."""

    def __init__(self, client: TaskApiClient) -> None:
        self.client = client

    def get_variable(self, key: str) -> str | None:
        return self.client.call(Call.VARIABLE_GET, key=key)["value"]

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.client.call(Call.VARIABLE_SET, key=key, value=value, description=description)

    def delete_variable(self, key: str) -> bool:
        raise TaskApiError("Variable.delete is not available inside a task: delete it with "
                           "`chordflow variables delete`")

    def get_connection(self, conn_id: str) -> Connection | None:
        try:
            fields = self.client.call(Call.CONNECTION_GET, conn_id=conn_id)
        except NotFoundError:
            return None
        return Connection(**fields)


def facts_of(data: dict[str, Any]) -> TryFacts:
    started = data.get("start_date")
    interval = [dt.datetime.fromisoformat(d) for d in data.get("data_interval") or ()]
    return TryFacts(run_pk=data["run_pk"], dag_id=data["dag_id"], run_id=data["run_id"],
                    conf=data["conf"], logical_date=dt.datetime.fromisoformat(data["logical_date"]),
                    start_date=dt.datetime.fromisoformat(started) if started else None,
                    run_type=data.get("run_type", "manual"),
                    data_interval_start=interval[0] if interval else None,
                    data_interval_end=interval[1] if interval else None)


def asset_events_of(data: dict[str, Any]) -> dict[str, Any]:
    """The asset events the worker put in the try's context, as the context offers them."""
    from cluster.sdk.asset_events import AssetEventRecord, AssetEventsByAsset

    def records(rows: list[dict[str, Any]]) -> list[AssetEventRecord]:
        return [AssetEventRecord.from_json(r) for r in rows]

    given = data.get("asset_events") or {}
    aliases = data.get("inlet_alias_events") or {}
    out = {"triggering_asset_events": AssetEventsByAsset(
               lambda: records(given.get("triggering_asset_events") or [])),
           "inlet_events": AssetEventsByAsset(
               lambda: records(given.get("inlet_events") or []),
               lambda: {name: records(rows) for name, rows in aliases.items()})}
    out["triggering_dataset_events"] = out["triggering_asset_events"]
    return out


def prepare() -> None:
    """What every try does first, done by a process runner's child while it waits."""
    compat.install()
    _log_to_stderr()


def rehearse(loaded: list[Any] | None, data: dict[str, Any] | None) -> None:
    """Build, and drop, the context of a try like the coming one (`data`: the previous
    one's, of a DAG file in `loaded`), in a process runner's child while it waits.

    A forked child's first write to a page it shares with its template copies the page
    (objects' reference counts, the allocator's pools): several hundred copies for a
    try's setup, on the hop. Made here, they are made before the try comes, and its own
    context reuses the pages. Nothing runs: no field is rendered, no callable called,
    no call made."""
    if not loaded or not data or data.get("mapped_values") is not None:
        return
    try:
        dag = {d.dag_id: d for d in loaded}[data["dag_id"]]
        task = dag.get_task(data["task_id"])
        make_context(dag, task, facts_of(json.loads(json.dumps(data))), data["try_number"],
                     data["upstream"], data["map_index"], None,  # type: ignore[arg-type]
                     asset_events_of(data))
    except Exception:  # a rehearsal only: the try builds its own context, and says why
        pass


@dataclasses.dataclass
class Ahead:
    """A DAG file loaded before its try was known (by a warm container, while it waits)."""

    dag_file: str
    stamp: tuple[int, int]
    dags: list[Any]

    def fits(self, dags_folder: Path, dag_file: str) -> bool:
        """The try's file, unchanged since it was loaded."""
        try:
            return dag_file == self.dag_file and _stamp(dags_folder / dag_file) == self.stamp
        except OSError:
            return False


def _stamp(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def load_ahead(dags_folder: Path, dag_file: str) -> Ahead | None:
    """Load the DAG file the next try is likely of; None when it cannot be loaded yet (its
    top-level code reads a Variable, say: a standby token may only wait for its try),
    and the try loads it itself once it knows its own file."""
    path = dags_folder / dag_file
    try:
        stamp = _stamp(path)
        return Ahead(dag_file, stamp, load_dags_from_file(path))
    except Exception:
        return None


def run_try(client: TaskApiClient, dags_folder: Path, data: dict[str, Any] | None = None,
            loaded: list[Any] | None = None, ahead: str | None = None) -> int:
    """Run the try the client's token names: load, render, execute, report. Exit status.

    `data` is the answer of the `context` call when the worker handed it over already, and
    `loaded` the DAGs of the try's file when they are in memory (the process runner's
    template loaded them); else the try asks and loads them itself. `ahead` names the DAG
    file a warm container's try is likely of: loaded while it waits, and used when the try
    is of that file and the file has not changed since."""
    secrets.use_backend(ApiSecretsBackend(client))
    # The task's lazy imports of `airflow.*` and of its DAG folder's modules, as in Airflow.
    compat.install()
    add_to_sys_path(dags_folder)
    early = load_ahead(dags_folder, ahead) if ahead and data is None and loaded is None \
        else None
    if data is None:
        data = wait_for_context(client)
    if loaded is None and early is not None and early.fits(dags_folder, data["dag_file"]):
        loaded = early.dags
    if loaded is None:
        loaded = load_dags_from_file(dags_folder / data["dag_file"])
    dags = {d.dag_id: d for d in loaded}
    dag = dags[data["dag_id"]]
    task = dag.get_task(data["task_id"])
    if data.get("mapped_values") is not None:
        unmap(task, data["mapped_values"])
    context = make_context(dag, task, facts_of(data), data["try_number"], data["upstream"],
                           data["map_index"], ApiXComs(client), asset_events_of(data))
    rendered = data.get("rendered")
    if rendered is not None and set(rendered) == set(task.template_fields):
        for field, value in rendered.items():  # rendered once, by the worker
            setattr(task, field, value)
    else:
        render_fields(task, context)
    _log_to_stderr()
    return execute_and_report(client, task, context)


def wait_for_context(client: TaskApiClient) -> dict[str, Any]:
    """The try's context. A warm container's token is a standby one: its call waits until
    the worker hands it a try, whose own token comes with the context."""
    data = client.call(Call.CONTEXT)
    while data.get("standby"):
        data = client.call(Call.CONTEXT)
    if "token" in data:
        client.use_token(data.pop("token"))
    client.end_mark = data.get("end_mark")
    return data


def _terminate_on_sigterm(task: Any) -> None:
    """SIGTERM (a cancel, a timeout, `docker stop`, a pod's deletion) ends the try as in
    Airflow: the operator's `on_kill`, then AirflowTaskTerminated unwinds the task's code,
    so what it started (a bash command's process group) is stopped on the way out."""
    def terminated(*_: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once
        try:
            task.on_kill()
        finally:
            raise AirflowTaskTerminated("Task received SIGTERM signal")

    signal.signal(signal.SIGTERM, terminated)


def execute_and_report(client: TaskApiClient, task: Any, context: dict[str, Any]) -> int:
    """Execute the task; its value or signal goes to the API. Exit status 0 or 1."""
    _terminate_on_sigterm(task)
    try:
        with use_context(context):
            result = deferral.execute(task, context)
        events = context.get("outlet_events")
        reported = events.as_json() if events is not None else {}
        if reported:
            client.call(Call.OUTLET_EVENTS, **reported)
        if task.do_xcom_push and result is not None:
            to_json(result)
            client.call(Call.RESULT, value=result)
    except AirflowSkipException as exc:
        client.call(Call.SIGNAL, kind=Signal.SKIP.value, message=str(exc))
    except DownstreamTasksSkipped as exc:  # SkipMixin.skip(): the try succeeded
        client.call(Call.SIGNAL, kind=Signal.SKIP_DOWNSTREAM.value,
                    message=json.dumps(skipped_task_ids(exc.tasks)))
    except AirflowRescheduleException as exc:
        client.call(Call.SIGNAL, kind=Signal.RESCHEDULE.value,
                    message=exc.reschedule_date.isoformat())
    except BaseException as exc:  # a task may raise anything: print, report, exit 1
        traceback.print_exc()
        kind = Signal.FAIL if isinstance(exc, AirflowFailException) else Signal.ERROR
        decision = retry_policy.decide(task, exc, int(context["ti"].try_number), context)
        extra: dict[str, Any] = {}
        if decision is not None and decision.action is retry_policy.RetryAction.FAIL:
            kind = Signal.FAIL
        elif decision is not None and decision.action is retry_policy.RetryAction.RETRY \
                and decision.retry_delay is not None:
            extra["retry_delay"] = decision.retry_delay.total_seconds()
        try:
            client.call(Call.SIGNAL, kind=kind.value, message=f"{type(exc).__name__}: {exc}",
                        **extra)
        except Exception:  # the API is gone: the exit status still says it failed
            pass
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def _log_to_stderr() -> None:
    """Task code's logging (an operator's `self.log`) goes to the output: the task log."""
    root = logging.getLogger()
    if [getattr(h, "stream", None) for h in root.handlers] == [sys.stderr] \
            and root.level == logging.INFO:
        return  # set up already, for this stderr (`prepare`)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


