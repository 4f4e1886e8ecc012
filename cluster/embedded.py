"""Embedded mode: the scheduler steps and a worker pool inside this process.

`chordflow run` and `chordflow trigger` without a broker use it: SQLite in a local
state directory, Celery's in-memory broker and result backend, a thread pool of
workers. The same compiler, canvas, worker code and store run as on a cluster.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Callable, Iterator

from celery.contrib.testing.worker import start_worker

from .scheduler import Scheduler

if TYPE_CHECKING:
    from .services import Cluster

log = logging.getLogger("chordflow.embedded")
_pool_lock = threading.Lock()


@contextlib.contextmanager
def worker_pool(cluster: "Cluster", concurrency: int = 4) -> Iterator[None]:
    """An in-process Celery worker (threads) consuming the in-memory broker."""
    from workers.runtime import WorkerRuntime, install

    # The in-memory transport has no host; kombu warns about that on every connection.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    rt = WorkerRuntime(cluster.settings, cluster.store)
    install(rt)
    with _pool_lock, start_worker(cluster.app, pool="threads", concurrency=concurrency,
                                  perform_ping_check=False, loglevel="WARNING",
                                  shutdown_timeout=30):
        yield


def run_in_process(cluster: "Cluster", run_pk: int, concurrency: int = 4,
                   on_progress: Callable | None = None) -> None:
    """Start run `run_pk` and drive it to the end in this process."""
    from .services import wait

    scheduler = Scheduler(cluster.settings, cluster.store, cluster.app)
    with worker_pool(cluster, concurrency):
        scheduler.start_queued_runs()
        done = threading.Event()

        def repair_loop() -> None:
            while not done.wait(cluster.settings.scheduler_interval):
                try:
                    scheduler.repair()
                except Exception:
                    log.exception("repair step failed")

        repairer = threading.Thread(target=repair_loop, daemon=True)
        repairer.start()
        try:
            wait(cluster, run_pk, on_progress=on_progress)
        finally:
            done.set()
