"""Service functions behind every front door (CLI, Python client, later a REST API)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from typing import Any, Callable, Iterator

from celery import Celery

from cluster.sdk import setup_teardown
from cluster.config import Settings
from cluster.control.dag_processor import parse_only
from cluster.errors import InvalidInputError, NotFoundError, ServiceUnavailableError
from cluster.control.marker_clearing import follow_markers
from cluster.sdk.params import check_conf
from cluster.control.parsing import ParsedFolder, check_folder
from cluster.states import FINAL_RUN_STATES, RunState
from cluster.store import Store
from cluster.store import dags as dag_store
from cluster.store import operations as ops_store
from cluster.store import runs as run_store
from cluster.store import tasks as ti_store
from cluster.store import logs as log_store
from cluster.store.models import Dag, DagRun, ImportErrorRecord, TaskInstance
from cluster.store import rendered as rendered_store
from cluster.planning.canvas import announce_run_end
from cluster.states import TaskState
from cluster.planning.serialization import downstream_map, run_plan, upstream_map
from cluster.planning import canvas
from cluster.sdk import timetable_questions as questions
from cluster.config import mask_url


@dataclasses.dataclass
class Cluster:
    """A handle on one chordflow installation: its settings, store and Celery app."""

    settings: Settings
    store: Store
    _app: Celery | None = None

    @classmethod
    def open(cls, settings: Settings | None = None) -> "Cluster":
        settings = settings or Settings.from_env()
        store = Store(settings.database_url)
        store.ensure_schema()
        return cls(settings=settings, store=store)

    @property
    def app(self) -> Celery:
        if self._app is None:
            from cluster.celery_app import make_app

            self._app = make_app(self.settings)
        return self._app

    def check_broker(self) -> None:
        if self.settings.embedded:
            return
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:

            raise ServiceUnavailableError(
                f"cannot reach the broker {mask_url(self.settings.broker_url)}: "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None

    def close(self) -> None:
        self.store.dispose()


def sync_dags(cluster: Cluster, folder: Any = None) -> ParsedFolder:
    from cluster.control.scheduler import sync_dags as _sync

    folder = folder or cluster.settings.dags_folder
    return _sync(cluster.store, folder, cluster.settings.dags_folder, cluster.settings)


def list_dags(cluster: Cluster) -> list[Dag]:
    return dag_store.list_dags(cluster.store)


@dataclasses.dataclass
class FolderView:
    """What `dags list` / `dags errors` show: DAG rows (dag_id, schedule, tags, file,
    paused) and import errors (file, message); `local` when the folder was parsed here,
    without recording, rather than read from what the DAG processor recorded."""

    dags: list[tuple[str, str | None, list[str], str, bool]]
    errors: list[tuple[str, str]]
    local: bool


def folder_view(cluster: Cluster, local: bool = False) -> FolderView:
    """Read-only: what the DAG processor recorded; or, with `local` (or when nothing was
    ever recorded, as before the first parse of an embedded home), a parse of the DAGs
    folder here that writes nothing."""
    check_folder(cluster.settings.dags_folder)  # a wrong setting is said, even when reading
    if not local:
        dags, errors = list_dags(cluster), import_errors(cluster)
        if dags or errors:
            return FolderView([(d.dag_id, d.schedule, list(d.tags or []), d.fileloc,
                                d.is_paused) for d in dags],
                              [(e.filename, e.message) for e in errors], local=False)
    settings = cluster.settings
    parsed = parse_only(settings.dags_folder, settings.dags_folder, settings)
    paused = {d.dag_id: d.is_paused for d in list_dags(cluster)}
    rows = []
    for dag_id, data in sorted(parsed.serialized.items()):
        at_creation = data.get("is_paused_upon_creation")
        default = settings.dags_are_paused_at_creation if at_creation is None else at_creation
        rows.append((dag_id, data.get("schedule"), list(data.get("tags") or []),
                     data["fileloc"], paused.get(dag_id, default)))
    return FolderView(rows, sorted(parsed.import_errors.items()), local=True)


def import_errors(cluster: Cluster) -> list[ImportErrorRecord]:
    return dag_store.list_import_errors(cluster.store)


def parse_conf(text: str | None) -> dict[str, Any]:
    """`--conf` JSON: must be an object (absent: empty)."""
    if text is None:
        return {}
    try:
        conf = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"--conf is not valid JSON: {exc.msg} at position {exc.pos}") \
            from None
    except RecursionError:
        raise InvalidInputError("--conf is nested too deeply") from None
    if not isinstance(conf, dict):
        raise InvalidInputError(f"--conf must be a JSON object, got {type(conf).__name__}")
    return conf


def parse_date(text: str) -> dt.datetime:
    """An ISO 8601 date or datetime; UTC unless it carries an offset."""
    try:
        value = dt.datetime.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        value = None
    if value is None:
        raise InvalidInputError(f"not an ISO 8601 date: {text!r} (e.g. 2019-01-02)") from None
    if not 1900 <= value.year <= 2200:
        raise InvalidInputError(f"date out of range: {text!r}")
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def trigger(cluster: Cluster, dag_id: str, conf: dict[str, Any] | None = None,
            run_id: str | None = None, logical_date: dt.datetime | None = None,
            on_progress: Callable[[DagRun, list[TaskInstance]], None] | None = None) -> DagRun:
    """A queued run of `dag_id`; the DAGs folder is parsed first if the DAG is unknown or
    inactive (its file was missing at the last parse and may be back)."""
    dag = dag_store.get_dag(cluster.store, dag_id)
    if dag is None or not dag.is_active:
        sync_dags(cluster)
        dag = dag_store.get_dag(cluster.store, dag_id)
    if dag is None or not dag.is_active:
        known = ", ".join(d.dag_id for d in list_dags(cluster)) or "none"
        raise NotFoundError(f"no DAG with id {dag_id!r} (known: {known})")
    check_params(cluster, dag, conf)
    cluster.check_broker()
    run = run_store.create_run(cluster.store, dag_id, conf, run_id, logical_date)
    if cluster.settings.embedded:
        from cluster.control.embedded import run_in_process

        run_in_process(cluster, run.id, on_progress=on_progress)
    return run


def check_params(cluster: Cluster, dag: Dag, conf: dict[str, Any] | None) -> None:
    """Refuse a conf that does not fit the DAG's `Param` schemas (InvalidInputError)."""
    if dag.latest_version_id is not None:
        data = dag_store.version_data(cluster.store, dag.latest_version_id)
        check_conf(data.get("params_schema") or {}, conf or {}, dag.dag_id)


def set_paused(cluster: Cluster, dag_id: str, paused: bool) -> None:
    """Pause (no new scheduled runs) or unpause a DAG; runs triggered by hand still run."""
    if dag_store.get_dag(cluster.store, dag_id) is None:
        sync_dags(cluster)
    if not dag_store.set_paused(cluster.store, dag_id, paused):
        raise NotFoundError(f"no DAG with id {dag_id!r}")


def backfill(cluster: Cluster, dag_id: str, start: dt.datetime, end: dt.datetime,
             conf: dict[str, Any] | None = None, limit: int = 10000) -> tuple[list[int], int]:
    """Queue a `backfill` run for each point of the DAG's schedule in [start, end].

    Runs that exist from an earlier backfill of the same dates are kept, not made twice, so
    a backfill that was stopped can be started again. The scheduler starts them oldest
    first, within the DAG's `max_active_runs`. Returns every run of the range and how many
    were created now.
    """

    if end < start:
        raise InvalidInputError(f"--end-date {end.isoformat()} is before --start-date "
                                f"{start.isoformat()}")
    dag = dag_store.get_dag(cluster.store, dag_id)
    if dag is None or not dag.is_active:
        sync_dags(cluster)
        dag = dag_store.get_dag(cluster.store, dag_id)
    if dag is None or not dag.is_active or dag.latest_version_id is None:
        raise NotFoundError(f"no DAG with id {dag_id!r}")
    data = dag_store.version_data(cluster.store, dag.latest_version_id)
    check_params(cluster, dag, conf)
    timetable = questions.stored_timetable(data)
    if timetable is not None and not timetable.periodic:
        raise InvalidInputError(f"DAG {dag_id!r} has no periodic schedule to backfill "
                                f"(schedule={data.get('schedule')}); trigger it with "
                                "--logical-date instead")
    if timetable is not None:
        infos = questions.runs_between(timetable, start, end, limit + 1)
    else:
        from cluster.control.parsing import ask_timetable

        infos = questions.infos_of(ask_timetable(
            data["fileloc"], dag_id, questions.question(
                questions.BETWEEN, data["timetable"], start=start, end=end, limit=limit + 1),
            timeout=cluster.settings.dag_file_processor_timeout,
            memory_mb=cluster.settings.dag_file_memory_limit_mb))
    if len(infos) > limit:
        raise InvalidInputError(f"the range holds more than {limit} runs of {dag_id!r}; "
                                "give a shorter range")
    cluster.check_broker()
    runs, created = [], 0
    for info in infos:
        when = info.logical_date
        run_id = f"backfill__{when.isoformat()}"
        try:
            run = run_store.create_run(cluster.store, dag_id, conf, run_id, when, "backfill",
                                       tuple(info.data_interval))
            created += 1
        except InvalidInputError:  # made by an earlier backfill of these dates
            run = run_store.find_run(cluster.store, f"{dag_id}/{run_id}")
        runs.append(run.id)
    if cluster.settings.embedded:
        from cluster.control.embedded import run_in_process

        for run_pk in runs:
            run_in_process(cluster, run_pk)
    return runs, created


def cancel_run(cluster: Cluster, ref: str | int) -> tuple[DagRun, list[str]]:
    """Fail a run that is not over: running tries are stopped (their workers see it at the
    next heartbeat and stop the process, container or pod), queued ones never start (their
    messages find them final), the rest are skipped."""
    run = run_store.find_run(cluster.store, str(ref))
    stopped = run_store.end_run(cluster.store, run.id, RunState.FAILED, "run cancelled")
    if stopped is None:
        raise InvalidInputError(f"run {run.id} of {run.dag_id} is already {run.state}")
    _announce(cluster, run, RunState.FAILED)
    return run_store.get_run(cluster.store, run.id), stopped


def clear_tasks(cluster: Cluster, ref: str | int, task_regex: str | None = None,
                downstream: bool = False, upstream: bool = False,
                marker_depth: int | None = None) -> tuple[DagRun, list[str]]:
    """Run again the tasks whose id matches `task_regex` (all when None), with their
    downstream and/or upstream tasks; the others keep their state and results. With
    `downstream`, cleared ExternalTaskMarkers clear the tasks they name in other DAGs
    (listed as `dag_id/run_id:task_id`)."""
    import re

    run = run_store.find_run(cluster.store, str(ref))
    data = dag_store.version_data(cluster.store, run.dag_version_id)
    try:
        pattern = re.compile(task_regex) if task_regex else None
    except re.error as exc:
        raise InvalidInputError(f"--task is not a regular expression: {exc}") from None
    chosen = {t["task_id"] for t in data["tasks"] if pattern is None or pattern.search(t["task_id"])}
    if not chosen:
        raise NotFoundError(f"no task of {run.dag_id} matches {task_regex!r}")
    # as in Airflow, a work task's setups and teardowns are cleared with it
    also = setup_teardown.cleared_with(data["tasks"], sorted(chosen), downstream, upstream)
    for wanted, edges in ((downstream, downstream_map(data)), (upstream, upstream_map(data))):
        if wanted:
            chosen |= _reachable(chosen, edges)
    chosen |= also
    cluster.check_broker()
    ops_store.clear(cluster.store, run.id, {t: data["_index"][t].get("retries", 0) for t in chosen})
    # The whole canvas again: tasks not cleared are final, so their deliveries are no-ops
    # that pass the order on to the cleared ones.
    plan = run_plan(data)
    canvas.build(cluster.app, plan.start, run.id, run.dag_id, data["_index"],
                 ti_store.next_tries(cluster.store, run.id, data["_index"])).apply_async()
    if cluster.settings.embedded:
        from cluster.control.embedded import run_in_process

        run_in_process(cluster, run.id)
    order = [t["task_id"] for t in data["tasks"]]
    cleared = [t for t in order if t in chosen]
    if downstream:
        cleared += follow_markers(cluster, run, data, cleared, marker_depth, clear_tasks)
    return run_store.get_run(cluster.store, run.id), cleared


def _reachable(start: set[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def mark_task(cluster: Cluster, ref: str | int, task_id: str, state: str) -> tuple[str, DagRun]:
    """Set a task instance to success or failed by hand; the run follows (a finished run
    takes the state its tasks now give it). A running try is stopped at its next heartbeat."""

    if state not in ("success", "failed"):
        raise InvalidInputError(f"a task can be marked success or failed, not {state!r}")
    run = run_store.find_run(cluster.store, str(ref))
    before = ops_store.mark(cluster.store, run.id, task_id, TaskState(state), f"marked {state}")
    if before is None:
        raise NotFoundError(f"run {run.id} of {run.dag_id} has no task {task_id!r}")
    leaves = dag_store.version_data(cluster.store, run.dag_version_id)["_leaves"]
    closed = run_store.close_run_if_done(cluster.store, run.id, leaves, reopen_final=True)
    if closed is not None and closed.value != run.state:
        _announce(cluster, run, closed)
    return before, run_store.get_run(cluster.store, run.id)


def _announce(cluster: Cluster, run: DagRun, state: RunState) -> None:

    if not cluster.settings.embedded:
        data = dag_store.version_data(cluster.store, run.dag_version_id)
        announce_run_end(cluster.app, run.id, run.dag_id, data, state)


def wait(cluster: Cluster, run_pk: int, timeout: float | None = None,
         on_progress: Callable[[DagRun, list[TaskInstance]], None] | None = None,
         poll: float = 0.05) -> DagRun:
    """Block until the run is final; `on_progress` sees every change of the task table."""
    deadline = None if timeout is None else time.monotonic() + timeout
    last: Any = None
    while True:
        run = run_store.get_run(cluster.store, run_pk)
        if on_progress is not None:
            tis = ti_store.task_instances(cluster.store, run_pk)
            shown = [(t.task_id, t.state) for t in tis]
            if shown != last:
                on_progress(run, tis)
                last = shown
        if RunState(run.state) in FINAL_RUN_STATES:
            return run
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run {run_pk} is still {run.state} after {timeout:g}s")
        time.sleep(poll)


def run_details(cluster: Cluster, ref: str | int) -> tuple[DagRun, list[TaskInstance]]:
    run = run_store.find_run(cluster.store, str(ref))
    tis = ti_store.task_instances(cluster.store, run.id)
    data = dag_store.version_data(cluster.store, run.dag_version_id)
    order = {t["task_id"]: i for i, t in enumerate(data["tasks"])}
    return run, sorted(tis, key=lambda t: (order.get(t.task_id, 1 << 30), t.map_index))


def list_runs(cluster: Cluster, dag_id: str | None = None, limit: int = 50) -> list[DagRun]:
    return run_store.list_runs(cluster.store, dag_id, limit)


def task_logs(cluster: Cluster, ref: str | int, task_id: str, try_number: int | None = None,
              map_index: int = -1) -> Iterator[tuple[int, str]]:
    """(try, text) log chunks of one task instance (`map_index` >= 0: a mapped child),
    streamed from the store as they are read."""
    run, tis = run_details(cluster, ref)
    if not any(t.task_id == task_id for t in tis):
        raise NotFoundError(f"run {run.id} of {run.dag_id} has no task {task_id!r}")
    if map_index >= 0 and not any(t.task_id == task_id and t.map_index == map_index
                                  for t in tis):
        raise NotFoundError(f"run {run.id} of {run.dag_id}: task {task_id!r} has no mapped "
                            f"task instance {map_index}")
    return log_store.read_log(cluster.store, run.id, task_id, try_number, map_index)


def rendered_fields(cluster: Cluster, ref: str | int, task_id: str,
                    map_index: int = -1) -> dict[str, Any] | None:
    """The task instance's template fields as its latest try rendered them (masked)."""

    run, tis = run_details(cluster, ref)
    if not any(t.task_id == task_id for t in tis):
        raise NotFoundError(f"run {run.id} of {run.dag_id} has no task {task_id!r}")
    row = rendered_store.load(cluster.store, run.id, task_id, map_index)
    return None if row is None else dict(row.rendered_fields)
