"""Embedded mode: the scheduler steps and a worker pool inside this process.

`chordflow run` and `chordflow trigger` without a broker use it: SQLite in a local
state directory, Celery's in-memory broker and result backend, a thread pool of
workers. The same compiler, canvas, worker code and store run as on a cluster.

Being a worker in-process, this module (with cluster/celery_app.py) may import `workers`;
no other module of `cluster` does (tests/unit/test_layers.py).
"""
from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING, Callable

from workers.runners import runner_name  # noqa: F401  (which runner an embedded run uses)
from workers.runtime import WorkerRuntime, install

from cluster.control.scheduler import Scheduler

if TYPE_CHECKING:
    from cluster.control.services import Cluster

log = logging.getLogger("chordflow.embedded")
_pool_lock = threading.Lock()


_workers: dict[int, object] = {}


def ensure_worker_pool(cluster: "Cluster", concurrency: int = 4) -> None:
    """Start, once per app, an in-process Celery worker (threads) on the in-memory broker.

    It lives as long as the process: stopping a Celery worker on the in-memory transport
    waits out a 2 s drain timeout, and a finished run leaves nothing for it to do.
    """
    from celery.contrib.testing.worker import TestWorkController, setup_app_for_worker

    with _pool_lock:
        if id(cluster.app) in _workers:
            return
        # The in-memory transport has no host; kombu warns about that on every connection.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        install(WorkerRuntime(cluster.settings, cluster.store))
        setup_app_for_worker(cluster.app, "WARNING", None)
        worker = TestWorkController(
            app=cluster.app, concurrency=concurrency, pool="threads", loglevel="WARNING",
            logfile=None, ready_callback=None, without_heartbeat=True, without_mingle=True,
            without_gossip=True, hostname=f"embedded@{socket.gethostname()}")
        threading.Thread(target=worker.start, name="chordflow-embedded-worker",
                         daemon=True).start()
        worker.ensure_started()
        _workers[id(cluster.app)] = worker


def run_in_process(cluster: "Cluster", run_pk: int, concurrency: int = 4,
                   on_progress: Callable | None = None) -> None:
    """Start run `run_pk` and drive it to the end in this process."""
    from cluster.control.services import wait

    scheduler = Scheduler(cluster.settings, cluster.store, cluster.app)
    ensure_worker_pool(cluster, concurrency)
    scheduler.start_queued_runs()
    done = threading.Event()

    def repair_loop() -> None:
        while not done.wait(cluster.settings.scheduler_interval):
            try:
                scheduler.repair()
            except Exception:
                log.exception("repair step failed")

    threading.Thread(target=repair_loop, name="chordflow-embedded-repair", daemon=True).start()
    try:
        wait(cluster, run_pk, on_progress=on_progress)
    finally:
        done.set()
