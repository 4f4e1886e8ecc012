"""Per-process state of a worker: settings, the store, loaded DAG files, the heartbeat."""
from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

from cluster.compiler import Plan, compile_plan
from cluster import secrets
from cluster.config import Settings
from cluster.crypto import Crypto
from cluster.metastore_secrets import MetastoreBackend
from cluster.dag import DAG
from cluster.loader import load_dags_from_file
from cluster.serialization import upstream_map
from cluster.store import Store
from cluster.store import tasks as ti_store
from cluster.store.tasks import RunInfo

from .cancellation import Cancellation
from .task_api.server import TaskApi

log = logging.getLogger("chordflow.worker")


class WorkerRuntime:
    """Everything one worker process keeps between deliveries (created after fork)."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.database_url, pool_size=2)
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self._runs: dict[int, RunInfo] = {}
        self._plans: dict[int, Plan] = {}
        self._files: dict[str, tuple[float, list[DAG]]] = {}
        self._lock = threading.Lock()
        self.running: dict[tuple[int, str, int, int], Any] = {}  # try key -> log writer
        self._heart: threading.Thread | None = None
        self.runner = None
        self.cancellation = Cancellation()
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
            if len(self._runs) > 10000:
                self._runs.clear()
            self._runs[run_pk] = info
        return info

    def run_version(self, run_pk: int) -> int:
        return self.run_info(run_pk).dag_version_id

    def plan(self, version_id: int, data: dict[str, Any]) -> Plan:
        plan = self._plans.get(version_id)
        if plan is None:
            plan = compile_plan(upstream_map(data), [t["task_id"] for t in data["tasks"]])
            self._plans[version_id] = plan
        return plan

    def dag(self, data: dict[str, Any]) -> DAG:
        """The live DAG object (for callables), loaded from this worker's DAGs folder."""
        path = self._dag_path(data)
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._files.get(str(path))
            if cached is None or cached[0] != mtime:
                cached = (mtime, load_dags_from_file(path))
                self._files[str(path)] = cached
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
            try:
                for writer in list(self.running.values()):
                    writer.flush()
                now = _monotonic()
                if now - getattr(self, "_last_beat", 0.0) >= interval and self.running:
                    self._last_beat = now
                    for key in ti_store.heartbeat(self.store, list(self.running)):
                        if key in self.running and self.cancellation.cancel(
                                key, "the try was ended elsewhere (run cancelled or timed "
                                     "out, task marked or cleared)"):
                            log.warning("run %s task %s try %s: ended elsewhere; stopping it",
                                        key[0], key[1], key[3])
            except Exception:  # the database may be restarting; try again next beat
                log.warning("heartbeat failed", exc_info=True)


def _monotonic() -> float:
    import time

    return time.monotonic()


_RUNTIME: WorkerRuntime | None = None


def runtime() -> WorkerRuntime:
    """This process's runtime; rebuilt in a forked child (connections are not shared)."""
    global _RUNTIME
    if _RUNTIME is None or _RUNTIME.pid != os.getpid():
        from cluster.celery_app import app

        settings = getattr(app, "chordflow_settings", None) or Settings.from_env()
        _RUNTIME = WorkerRuntime(settings)
    return _RUNTIME


def install(rt: WorkerRuntime) -> None:
    """Use `rt` in this process (embedded mode shares the caller's store)."""
    global _RUNTIME
    _RUNTIME = rt
