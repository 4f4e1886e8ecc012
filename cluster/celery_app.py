"""The composition point: the Celery app with the worker's task types.

`celery -A cluster.celery_app:app ...` (Flower, workers' health checks) names this
module. Importing it builds nothing: `make_app(settings)` is the factory, and `app`, the
app configured from the environment, is made on first access. It is the one module of
`cluster` that imports `workers` (with the embedded mode, which is a worker in-process);
tests/unit/test_layers.py holds that contract.
"""
from __future__ import annotations

import threading
from typing import Any

from celery import Celery

from workers.tasks import register
from workers.worker_process import prepare_worker  # noqa: F401  (for `chordflow worker`)

from cluster.celery_config import configured_app
from cluster.config import Settings


def make_app(settings: Settings) -> Celery:
    """A Celery app configured from `settings`, with chordflow's task types."""
    app = configured_app(settings)
    register(app)
    return app


_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    """`app`: the app of the environment's settings, made once, on first use."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:
        if "app" not in globals():
            globals()["app"] = make_app(Settings.from_env())
    return globals()["app"]
