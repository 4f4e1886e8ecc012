"""The Celery task types of chordflow; messages carry ids only."""
from __future__ import annotations

from celery import Celery


def register(app: Celery) -> None:
    """Define chordflow's two task types on `app`."""

    @app.task(name="chordflow.run_task_instance", bind=True, acks_late=True, shared=False,
              reject_on_worker_lost=True, max_retries=None)
    def run_task_instance(self, run_pk: int, task_id: str, try_number: int,
                          map_index: int = -1) -> str:
        """Run one try of a task instance; never raises for a task failure."""
        from .execution import run_delivery

        return run_delivery(self, run_pk, task_id, try_number, map_index)

    @app.task(name="chordflow.arrive", bind=True, acks_late=True, reject_on_worker_lost=True,
              shared=False)
    def arrive(self, run_pk: int, task_id: str) -> str:
        """One incoming path of a join finished: launch the join's task if it is ready."""
        from .execution import arrive_at_join

        return arrive_at_join(self.app, run_pk, task_id)
