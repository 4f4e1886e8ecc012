"""The composition point: the Celery app with the worker's task types.

`celery -A cluster.celery_app:app ...` (workers' health checks, Flower) names this module.
It is the one module of `cluster` that imports `workers` (with the embedded mode, which
is a worker in-process); tests/unit/test_layers.py holds that contract.
"""
from __future__ import annotations

from celery import Celery

from workers.tasks import register
from workers.worker_process import prepare_worker  # noqa: F401  (for `chordflow worker`)

from .celery_config import configured_app
from .config import Settings


def make_app(settings: Settings) -> Celery:
    """A Celery app configured from `settings`, with chordflow's task types."""
    app = configured_app(settings)
    register(app)
    return app


app = make_app(Settings.from_env())
