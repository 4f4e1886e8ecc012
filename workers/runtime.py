"""Per-process state of a worker: settings, the store, loaded DAG files, the heartbeat."""
from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

from cluster.planning.compiler import Plan
from cluster.compat import namespace as compat
from cluster.sdk import secrets
from cluster.config import Settings
from cluster.security.crypto import Crypto
from cluster.control.metastore_secrets import MetastoreBackend
from cluster.sdk.dag import DAG
from cluster.control.loader import add_to_sys_path, load_dags_from_file
from cluster.control.parsing import parse_file
from cluster.planning.serialization import run_plan
from cluster.store import Store
from cluster.store import tasks as ti_store
from cluster.store.tasks import RunInfo

from workers import chord_keys
from workers.caches import Lru
from workers.cancellation import Cancellation
from workers.task_api.server import TaskApi

log = logging.getLogger("chordflow.worker")


class WorkerRuntime:
    """Everything one worker process keeps between deliveries (created after fork)."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.database_url, pool_size=2)
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        # bounded: a worker that lives for months meets ever new runs and DAG versions
        self._runs: Lru[int, RunInfo] = Lru(10000)
        self._plans: Lru[int, Plan] = Lru(256)
        self._files: Lru[str, tuple[float, list[DAG]]] = Lru(256)
        self._lock = threading.Lock()
        self.running: dict[tuple[int, str, int, int], Any] = {}  # try key -> log writer
        self.chords: dict[tuple[int, str, int, int], tuple[Any, str]] = {}  # -> (app, group)
        self._heart: threading.Thread | None = None
        self.runner = None
        self.cancellation = Cancellation()
        # Task code imports `airflow.*` and its DAG folder's modules lazily, as in Airflow.
        compat.install()
        add_to_sys_path(settings.dags_folder)
        self._task_api: TaskApi | None = None
        # Variable.get / BaseHook.get_connection in tasks run here read this store.
        secrets.use_backend(MetastoreBackend(self.store, Crypto(settings.fernet_key)))

    @property
    def task_api(self) -> TaskApi:
        """The task API this process serves to the tries it runs (started on first use)."""
        with self._lock:  # two threads of a pool may ask first at once: one server
            if self._task_api is None:
                self._task_api = TaskApi(self.store)
        return self._task_api

    # -- caches of immutable things ------------------------------------------------
    def run_info(self, run_pk: int) -> RunInfo:
        """The run's ids, conf, logical date and DAG version: read once, never changed."""
        info = self._runs.get(run_pk)
        if info is None:
            info = ti_store.run_info(self.store, run_pk)
            if info is None:
                raise LookupError(f"no DAG run {run_pk}")
            self._runs.put(run_pk, info)
        return info

    def run_version(self, run_pk: int) -> int:
        return self.run_info(run_pk).dag_version_id

    def plan(self, version_id: int, data: dict[str, Any]) -> Plan:
        plan = self._plans.get(version_id)
        if plan is None:
            plan = run_plan(data)
            self._plans.put(version_id, plan)
        return plan

    def dag(self, data: dict[str, Any]) -> DAG:
        """The live DAG object (for callables), loaded from this worker's DAGs folder."""
        path = self._dag_path(data)
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._files.get(str(path))
            if cached is None or cached[0] != mtime:
                # Imported here only once a child, under the DAG processor's time and
                # memory limits, imported it: a file that hangs or eats memory fails the
                # try with the reason, and never stalls or kills this worker.
                parse_file(path, str(self.settings.dags_folder),
                           timeout=self.settings.dag_file_processor_timeout,
                           memory_mb=self.settings.dag_file_memory_limit_mb)
                cached = (mtime, load_dags_from_file(path))
                self._files.put(str(path), cached)
        for dag in cached[1]:
            if dag.dag_id == data["dag_id"]:
                return dag
        raise LookupError(f"DAG {data['dag_id']!r} is no longer defined in {path}")

    def _dag_path(self, data: dict[str, Any]) -> Path:
        relative = data.get("relative_fileloc") or ""
        candidate = self.settings.dags_folder / relative
        if relative and not os.path.isabs(relative) and candidate.exists():
            return candidate
        path = Path(data["fileloc"])
        if path.exists():
            return path
        raise LookupError(
            f"DAG file of {data['dag_id']!r} not found: looked for {candidate} and {path}")

    # -- heartbeat of running tries ---------------------------------------------------
    def start_heartbeat(self) -> None:
        if self._heart is not None and self._heart.is_alive() and self.pid == os.getpid():
            return
        self.pid = os.getpid()
        self._heart = threading.Thread(target=self._beat, name="chordflow-heartbeat", daemon=True)
        self._heart.start()

    def _beat(self) -> None:
        interval = min(self.settings.heartbeat_interval, 5.0)
        event = threading.Event()
        while True:
            event.wait(min(interval, 0.5))
            self.beat_once(interval)

    def beat_once(self, interval: float) -> None:
        """Flush the running tries' logs; heartbeat them when `interval` has passed.

        Each log flush and the heartbeat fail on their own: a log the store refuses must
        not stop the heartbeat (the live try would be taken as lost and run twice)."""
        for writer in list(self.running.values()):
            try:
                writer.flush()
            except Exception:  # the writer noted it in the log; the try goes on
                log.warning("run %s task %s try %s: log flush failed", writer.run_pk,
                            writer.task_id, writer.try_number, exc_info=True)
        now = _monotonic()
        if now - getattr(self, "_last_beat", 0.0) < interval or not self.running:
            return
        try:
            ended = ti_store.heartbeat(self.store, list(self.running))
        except Exception:  # the database may be restarting; try again next beat
            log.warning("heartbeat failed", exc_info=True)
            return
        self._last_beat = now
        self._refresh_chords()
        for key in ended:
            if key in self.running and self.cancellation.cancel(
                    key, "the try was ended elsewhere (run cancelled or timed "
                         "out, task marked or cleared)"):
                log.warning("run %s task %s try %s: ended elsewhere; stopping it",
                            key[0], key[1], key[3])


    def _refresh_chords(self) -> None:
        held = list(self.chords.values())
        if not held:
            return
        chord_keys.refresh(held[0][0], [gid for _, gid in held], self.settings.chord_expires)


def _monotonic() -> float:
    import time

    return time.monotonic()


_RUNTIME: WorkerRuntime | None = None


def runtime() -> WorkerRuntime:
    """This process's runtime; rebuilt in a forked child (connections are not shared)."""
    global _RUNTIME
    if _RUNTIME is None or _RUNTIME.pid != os.getpid():
        from celery import current_app

        # The worker's app (cluster/celery_app.py) carries its settings.
        settings = getattr(current_app, "chordflow_settings", None) or Settings.from_env()
        _RUNTIME = WorkerRuntime(settings)
    return _RUNTIME


def install(rt: WorkerRuntime) -> None:
    """Use `rt` in this process (embedded mode shares the caller's store)."""
    global _RUNTIME
    _RUNTIME = rt
