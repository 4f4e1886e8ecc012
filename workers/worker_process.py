"""A worker process before it consumes: its runner chosen and announced, orphan sweeps
started (`chordflow worker`)."""
from __future__ import annotations

import logging

from cluster.config import Settings

from workers.runners import get_runner


def prepare_worker(settings: Settings, loglevel: str) -> None:
    """Choose the runner (failing loudly if it cannot work), log it, start the sweeps of
    task containers or pods left behind by killed workers."""
    runner = get_runner(settings)
    log = logging.getLogger("chordflow.worker")
    logging.basicConfig(level=loglevel.upper(), format="[%(asctime)s: %(levelname)s] %(message)s")
    if not runner.isolated:
        log.warning("runner: process: tasks run inside the worker process, not in containers "
                    "(set CHORDFLOW_RUNNER=docker or kubernetes for isolation)")
    else:
        log.info("runner: %s", runner.name)
    if runner.name == "docker":
        from workers.tasks import sweep_orphan_containers_forever

        sweep_orphan_containers_forever(settings)
        if settings.warm_containers:
            _warm_each_process()
    elif runner.name == "kubernetes":
        from workers.runners.kubernetes import sweep_orphan_pods_forever

        sweep_orphan_pods_forever(settings)


def _warm_each_process() -> None:
    """Each worker process starts its warm task containers as it starts (not at its first
    try), and removes those still waiting as it stops."""
    from celery import signals

    from workers.runtime import runtime

    @signals.worker_process_init.connect(weak=False)
    def warm(**_: object) -> None:
        rt = runtime()
        if rt.runner is None:
            rt.runner = get_runner(rt.settings)
        if rt.runner.name == "docker":
            rt.runner.pool(rt.task_api)

    @signals.worker_process_shutdown.connect(weak=False)
    def cool(**_: object) -> None:
        rt = runtime()
        if rt.runner is not None and hasattr(rt.runner, "close"):
            rt.runner.close()
