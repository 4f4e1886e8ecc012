"""The Celery task types of chordflow; messages carry ids only."""
from __future__ import annotations

from celery import Celery

from cluster.planning.canvas import ARRIVE_TASK, DAG_CALLBACK_TASK, RUN_TASK


def register(app: Celery) -> None:
    """Define chordflow's task types on `app`."""

    @app.task(name=RUN_TASK, bind=True, acks_late=True, shared=False,
              reject_on_worker_lost=True, max_retries=None,
              Request="workers.outcomes:OutcomeRequest")
    def run_task_instance(self, run_pk: int, task_id: str, try_number: int,
                          map_index: int = -1) -> str:
        """Run one try of a task instance; never raises for a task failure (its events
        tell Flower the real outcome: workers/outcomes.py)."""
        from workers.execution import run_delivery
        from workers.outcomes import FAILED_PREFIXES, describe

        outcome = run_delivery(self, run_pk, task_id, try_number, map_index)
        if isinstance(outcome, str) and outcome.startswith(FAILED_PREFIXES):
            from cluster.store import browse

            from workers.runtime import runtime

            ti = browse.task_instance(runtime().store, run_pk, task_id, map_index)
            return describe(outcome, ti.error if ti is not None else None)
        return outcome

    @app.task(name=ARRIVE_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
              shared=False)
    def arrive(self, run_pk: int, task_id: str) -> str:
        """One incoming path of a join finished: launch the join's task if it is ready."""
        from workers.execution import arrive_at_join

        return arrive_at_join(self.app, run_pk, task_id)

    @app.task(name=DAG_CALLBACK_TASK, acks_late=True, shared=False)
    def dag_callback(run_pk: int, state: str) -> str:
        """Run the DAG's on_success_callback / on_failure_callback for an ended run."""
        from workers.callbacks import run_dag_callback

        return run_dag_callback(run_pk, state)


def sweep_orphan_containers_forever(settings) -> None:  # type: ignore[no-untyped-def]
    """In the worker's main process: remove task containers whose try is over.

    A SIGKILLed worker leaves its task container behind; once the scheduler has taken
    that try as lost, the next sweep on any worker of the host removes the container.
    """
    import logging
    import threading

    from cluster.store import Store

    from workers.containers import remove_orphans
    from workers.runners.docker import client_for

    log = logging.getLogger("chordflow.worker")
    store = Store(settings.database_url, pool_size=1)
    client = client_for(settings)
    interval = max(settings.zombie_threshold / 2, 2.0)

    def loop() -> None:
        while True:
            try:
                for name in remove_orphans(client, store):
                    log.warning("removed orphaned task container %s", name)
            except Exception:
                log.warning("orphan container sweep failed", exc_info=True)
            threading.Event().wait(interval)

    threading.Thread(target=loop, name="chordflow-orphan-sweep", daemon=True).start()
