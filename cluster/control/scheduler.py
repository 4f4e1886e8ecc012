"""The scheduler: parses DAG files, starts queued runs as canvases, repairs what broke.

Starting a run is one transaction (run -> running, all task instances created) and
then one `apply_async` of the compiled canvas. Everything after that is driven by
the canvas and the workers; the scheduler only looks back at the store to repair:
tries whose worker vanished (heartbeat stopped: failed tries, see reaper.py), tasks
whose message was lost (ready for longer than `queued_timeout` and no longer in the
broker, see inflight.py), retries whose countdown message was lost, and runs the
workers did not close.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from typing import Any

from celery import Celery

from cluster.control import inflight, reaper

from cluster.planning import canvas

from cluster.sdk import trigger_rules
from cluster.sdk import timetable_questions as questions
from cluster.sdk.assets import alias_key
from cluster.config import Settings
from cluster.sdk.dag_schedule import interval_of
from cluster.control.dag_processor import DagProcessor, assets_named, sync_dags  # noqa: F401  (re-exported)
from cluster.control.parsing import ParsedFolder, ask_timetable
from cluster.control.repairs import repair_task_signature  # noqa: F401  (the workers' repair arrivals)
from cluster.sdk.timetable_questions import due_runs, stored_timetable
from cluster.sdk.timetables.codec import ASSET_TIMETABLES
from cluster.sdk.timetables import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.planning.serialization import run_plan
from cluster.states import RunState, TaskState
from cluster.timezones import as_utc
from cluster.store import Store
from cluster.store.db import RUNS_CHANNEL
from cluster.store import assets as asset_store
from cluster.store import dags as dag_store
from cluster.store import runs as run_store
from cluster.store import mapped as mapped_store
from cluster.store import retention
from cluster.store import tasks as ti_store
from cluster.store.models import utcnow

log = logging.getLogger("chordflow.scheduler")
START_BATCH = 16  # queued runs of one DAG looked at per step
_WAITING = {TaskState.UP_FOR_RETRY.value, TaskState.UP_FOR_RESCHEDULE.value}


def with_aliases(updated: dict[str, bool], resolution: dict[str, list[str]]) -> dict[str, bool]:
    """The updated URIs, plus each alias that one of its resolved assets updated."""
    return {**updated, **{alias_key(alias): any(updated.get(u) for u in uris)
                          for alias, uris in resolution.items()}}


def start_run(store: Store, app: Celery, run_pk: int) -> bool:
    """Create the run's task instances and send its canvas; False if someone else did."""
    run = run_store.get_run(store, run_pk)
    data = dag_store.version_data(store, run.dag_version_id)
    started = run_store.start_run(store, run_pk, data["tasks"], data.get("max_active_runs"))
    if started is None:
        return False
    plan = run_plan(data)
    if data["tasks"]:
        canvas.build(app, plan.start, run_pk, run.dag_id, data["_index"]).apply_async()
    else:
        run_store.close_run_if_done(store, run_pk, ())
    log.info("run %s of %s started: %d tasks%s", run_pk, run.dag_id, len(data["tasks"]),
             "" if plan.series_parallel else f", {len(plan.joins)} joins")
    return True


def _date(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


_ANSWER_TTL = 5.0
_RETENTION_EVERY = 3600.0  # seconds between two retention passes


def last_interval_of(timetable: Timetable | None,
                     last: run_store.LastRun | None) -> DataInterval | None:
    """The data interval of the DAG's latest scheduled run; a run stored before intervals
    were kept gets the one its logical date implies."""
    if last is None:
        return None
    if last.data_interval_start is not None and last.data_interval_end is not None:
        return DataInterval(last.data_interval_start, last.data_interval_end)
    if timetable is None:
        return DataInterval.exact(last.logical_date)
    return interval_of(timetable, last.logical_date)


class Scheduler:
    """The loop of `chordflow scheduler`; each step is also callable on its own."""

    def __init__(self, settings: Settings, store: Store, app: Celery) -> None:
        self.settings, self.store, self.app = settings, store, app
        self._last_parse = 0.0
        self.processor = DagProcessor(settings, store)
        # A step parses the folder when it is due unless a DAG processor does it apart
        # (`run_forever` starts one in a thread; CHORDFLOW_STANDALONE_DAG_PROCESSOR: a
        # `chordflow dag-processor` process of its own).
        self.parses_in_step = True
        self._answers: dict[str, tuple[float, list[DagRunInfo]]] = {}
        # Since when the store has answered without a break. While it was unreachable no
        # worker could heartbeat, so stale heartbeats mean nothing until workers have had
        # a zombie threshold to write again (a restart of PostgreSQL must not get live
        # tries run twice).
        self._store_up_since: float | None = None
        self._last_clean: float | None = None

    def parse(self) -> ParsedFolder | None:
        """Parse the DAGs folder now, in this thread (what the DAG processor does)."""
        bag = self.processor.parse()
        self._last_parse = time.monotonic()
        return bag

    def schedule_runs(self, now: dt.datetime | None = None) -> int:
        """Create the scheduled runs that are due (one transaction per DAG that has some)."""
        now = now or utcnow()
        created = 0
        asset_store.skip_events_while_paused(self.store)
        for dag_id, version_id, last, active in run_store.scheduling_candidates(self.store):
            try:
                data = dag_store.version_data(self.store, version_id)
                kind = data.get("timetable", {}).get("type")
                if kind in ASSET_TIMETABLES:
                    created += self._asset_triggered_run(dag_id, data)
                    if kind == "AssetTriggeredTimetable":
                        continue  # AssetOrTimeSchedule: its timetable's runs too
                if not self._due(data, last, active, now):
                    continue
                made = run_store.create_scheduled_runs(
                    self.store, dag_id, lambda l, a: self._due(data, l, a, utcnow()))
            except Exception:
                log.exception("DAG %s: scheduled runs could not be created; will try again",
                              dag_id)
                continue
            created += len(made)
            if made:
                log.info("DAG %s: %d scheduled run(s) created", dag_id, len(made))
        return created

    def _asset_triggered_run(self, dag_id: str, data: dict[str, Any]) -> int:
        condition = stored_timetable(data).asset_condition  # type: ignore[union-attr]
        # an alias stands for the assets attached through it so far (none: not yet)
        resolution = asset_store.resolved_aliases(
            self.store, {a.name for a in condition.iter_aliases()})
        uris = [a.uri for a in condition.iter_assets()]
        uris += [u for resolved in resolution.values() for u in resolved if u not in uris]
        made = asset_store.create_triggered_run(
            self.store, dag_id, uris, lambda updated: condition.evaluate(
                with_aliases(updated, resolution)), data.get("max_active_runs") or 16)
        if made is not None:
            log.info("DAG %s: run %s created by asset events", dag_id, made)
        return made is not None

    def _due(self, data: dict[str, Any], last: run_store.LastRun | None, active: int,
             now: dt.datetime) -> list[DagRunInfo]:
        room = (data.get("max_active_runs") or 16) - active
        if room <= 0:
            return []
        catchup = data.get("catchup")
        restriction = TimeRestriction(
            _date(data.get("start_date")), _date(data.get("end_date")),
            self.settings.catchup_by_default if catchup is None else catchup)
        timetable = stored_timetable(data)
        last_interval = last_interval_of(timetable, last)
        if timetable is not None:
            return due_runs(timetable, last_interval, restriction, now, room)
        return self._ask(data, questions.question(
            questions.NEXT, data["timetable"], last=last_interval, limit=room, now=now,
            restriction=[restriction.earliest, restriction.latest, restriction.catchup]))

    def _ask(self, data: dict[str, Any], q: dict[str, Any]) -> list[DagRunInfo]:
        """A user's timetable answers in a DAG file processor child; an answer is reused
        for a few seconds (the due check asks again under the DAG's lock)."""
        key = json.dumps({**q, "now": None, "file": data["fileloc"], "dag": data["dag_id"]},
                         sort_keys=True, default=str)
        cached = self._answers.get(key)
        if cached is not None and time.monotonic() - cached[0] < _ANSWER_TTL:
            return cached[1]
        rows = ask_timetable(data["fileloc"], data["dag_id"], q,
                             timeout=self.settings.dag_file_processor_timeout,
                             memory_mb=self.settings.dag_file_memory_limit_mb)
        infos = questions.infos_of(rows)
        if len(self._answers) > 1000:
            self._answers.clear()
        self._answers[key] = (time.monotonic(), infos)
        return infos

    def start_queued_runs(self) -> int:
        """Start what may start: per DAG, its oldest queued runs up to its free
        max_active_runs places (the rest are not even tried: no locking transaction for a
        run that would stay queued), every DAG's first run before any DAG's second."""
        started = 0
        for run_pk in self._startable():
            try:
                started += start_run(self.store, self.app, run_pk)
            except Exception:
                log.exception("run %s could not be started; will try again", run_pk)
        return started

    def _startable(self) -> list[int]:
        picked: list[tuple[int, int]] = []
        for dag_id, (running, queued) in run_store.queued_runs_by_dag(
                self.store, START_BATCH).items():
            try:
                limit = dag_store.version_data(self.store, queued[0][1]).get("max_active_runs")
            except KeyError:
                log.error("DAG %s: queued run %s has no DAG version", dag_id, queued[0][0])
                continue
            room = len(queued) if not limit else max(0, limit - running)
            picked.extend((i, run_pk) for i, (run_pk, _) in enumerate(queued[:room]))
        return [run_pk for _, run_pk in sorted(picked)]

    def repair(self) -> dict[str, int]:
        """Resend what was lost and close what is done; returns counts by kind."""
        counts = {"zombies": 0, "resent": 0, "closed": 0, "timed_out": 0}
        now = utcnow()
        zombie_cut = now - dt.timedelta(seconds=self.settings.zombie_threshold)
        runs = {r.id: r for r in run_store.running_runs(self.store)}
        if self._store_up_since is None:
            self._store_up_since = time.monotonic()
        lost = set()
        if time.monotonic() - self._store_up_since >= self.settings.zombie_threshold:
            # Reaped tries are sent on by the reaper (after their retry delay), not below.
            lost = {(r.run_pk, r.task_id, r.map_index) for r in reaper.reap(
                self.store, self.app, runs, lambda v: dag_store.version_data(self.store, v),
                zombie_cut)}
        counts["zombies"] = len(lost)
        counts["settled"] = self._settle_mapped(runs)
        # Task states are read only for the runs with a task waiting to be sent (not every
        # instance of every running run each pass).
        waiting = ti_store.waiting(self.store, list(runs))
        states = ti_store.all_states(self.store, sorted({row[0] for row in waiting}))
        queued_cut = now - dt.timedelta(seconds=self.settings.queued_timeout)
        overdue: list[tuple[Any, dict[str, Any], str, int, int, dt.datetime]] = []
        for run_pk, task_id, state, try_number, next_retry_at, queued_at, map_index in waiting:
            run = runs[run_pk]
            data = dag_store.version_data(self.store, run.dag_version_id)
            spec = data["_index"][task_id]
            run_states = states.get(run_pk, {})
            if not trigger_rules.spec_ready(spec, {
                    u: run_states.get(u, ("none",))[0] for u in trigger_rules.watched(spec)}):
                continue
            if (run_pk, task_id, map_index) in lost:
                continue
            ready = max([run.start_date or now] + [
                run_states[u][1] for u in spec["upstream"] if run_states[u][1]])
            queued_at = as_utc(queued_at)
            if queued_at and queued_at > ready:
                ready = queued_at
            if state in _WAITING and next_retry_at:
                ready = max(ready, as_utc(next_retry_at))
            if ready > queued_cut:
                continue
            overdue.append((run, data, task_id, try_number, map_index, ready))
        counts["resent"], counts["in_broker"] = self._resend_lost(overdue)
        unfinished = run_store.with_unfinished_tasks(self.store, list(runs))
        for run_pk, run in runs.items():
            data = dag_store.version_data(self.store, run.dag_version_id)
            closed = None if run_pk in unfinished else \
                run_store.close_run_if_done(self.store, run_pk, data["_leaves"])
            if closed is not None:
                counts["closed"] += 1
                canvas.announce_run_end(self.app, run_pk, run.dag_id, data, closed)
            elif self._timed_out(run, data, now):
                timeout = data["dagrun_timeout"]
                if run_store.end_run(self.store, run_pk, RunState.FAILED,
                                     f"dagrun_timeout of {timeout:g}s exceeded") is not None:
                    log.warning("run %s of %s: failed, longer than its dagrun_timeout (%gs)",
                                run_pk, run.dag_id, timeout)
                    counts["timed_out"] += 1
                    canvas.announce_run_end(self.app, run_pk, run.dag_id, data, RunState.FAILED)
        return counts

    def _resend_lost(self, overdue: list[tuple[Any, dict[str, Any], str, int, int, dt.datetime]]
                     ) -> tuple[int, int]:
        """Resend the overdue task instances whose message the broker does not hold (lost);
        the others (a backlog, a pool wait) only have their queued time renewed."""
        if not overdue:
            return 0, 0
        queues = {data["_index"][t].get("queue") or "celery" for _, data, t, _, _, _ in overdue}
        held = inflight.look(self.app, queues, self.settings.queued_timeout)
        resent = kept = 0
        for run, data, task_id, try_number, map_index, ready in overdue:
            where = f"[{map_index}]" if map_index >= 0 else ""
            queue = data["_index"][task_id].get("queue") or "celery"
            ti_store.mark_queued(self.store, run.id, task_id, map_index)
            if held is not None and held.holds((run.id, task_id, map_index), queue):
                log.debug("run %s task %s%s: ready since %s, its message still waits in the "
                          "broker; not resent", run.id, task_id, where,
                          ready.isoformat(timespec="seconds"))
                kept += 1
                continue
            log.warning("run %s task %s%s: ready since %s but not started, its message "
                        "lost; sending it again", run.id, task_id, where,
                        ready.isoformat(timespec="seconds"))
            repair_task_signature(self.app, run.id, run.dag_id, task_id, try_number + 1,
                                  data, map_index).apply_async()
            resent += 1
        return resent, kept

    def _settle_mapped(self, runs: dict[int, Any]) -> int:
        """Settle mapped tasks whose children all ended but whose last child's worker
        stopped before settling them; their downstream is then resent as lost."""
        settled = 0
        for run_pk, task_id in mapped_store.settleable(self.store, list(runs)):
            state = mapped_store.settle(self.store, run_pk, task_id)
            if state is not None:
                log.warning("run %s mapped task %s: settled %s by repair", run_pk, task_id,
                            state.value)
                settled += 1
        return settled

    @staticmethod
    def _timed_out(run: Any, data: dict[str, Any], now: dt.datetime) -> bool:
        timeout = data.get("dagrun_timeout")
        return bool(timeout and run.start_date and
                    (now - as_utc(run.start_date)).total_seconds() > timeout)

    def step(self) -> None:
        if self.parses_in_step and \
                time.monotonic() - self._last_parse >= self.settings.dag_dir_list_interval:
            self.parse()
        self.schedule_runs()
        self.start_queued_runs()
        self.repair()
        self.apply_retention()

    def apply_retention(self) -> dict[str, int] | None:
        """With CHORDFLOW_RETENTION_DAYS set: `db clean --older-than DAYS` of every table,
        when the scheduler starts and then every hour."""
        days = self.settings.retention_days
        if not days or (self._last_clean is not None and
                        time.monotonic() - self._last_clean < _RETENTION_EVERY):
            return None
        before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
        found = retention.clean(self.store, before, list(retention.TABLES), dry_run=False)
        self._last_clean = time.monotonic()
        if any(found.values()):
            log.info("retention (%g days): deleted %s", days,
                     ", ".join(f"{n} {t}" for t, n in found.items() if n))
        return found

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        listener = self.store.listener(RUNS_CHANNEL)
        self.parses_in_step = False
        if self.settings.standalone_dag_processor:
            where = "parsed by a standalone DAG processor"
        else:  # a file that takes its whole timeout to parse must not stall the loop
            where = "parsed in a thread of its own"
            threading.Thread(target=self.processor.run_forever, args=(stop,),
                             name="dag-processor", daemon=True).start()
        log.info("scheduler started: DAGs folder %s (%s), store %s", self.settings.dags_folder,
                 where, self.store)
        try:
            while not stop.is_set():
                try:
                    self.step()
                except Exception:  # the database or broker may be restarting
                    log.exception("scheduler step failed; retrying")
                    self._store_up_since = None
                # A trigger's NOTIFY ends the wait at once: runs start in milliseconds.
                if listener.wait(self.settings.scheduler_interval):
                    self.start_queued_runs()
        finally:
            listener.close()
