"""How chordflow configures Celery: serializers, late acks, transports, events.

The app made here has no task types; the worker's are added by cluster/celery_app.py,
the one module that composes cluster and workers.
"""
from __future__ import annotations

from celery import Celery

from cluster.config import Settings


def configured_app(settings: Settings) -> Celery:
    """A Celery app configured from `settings` (and set as the current app)."""
    from cluster.redis_transport import install

    install()
    app = Celery("chordflow", broker=settings.broker_url, backend=settings.result_backend,
                 set_as_current=True)
    transport = {"visibility_timeout": settings.visibility_timeout}
    if settings.embedded:
        transport["polling_interval"] = 0.005
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],       # no pickle: a message can never carry code
        result_accept_content=["json"],
        task_acks_late=True,           # a message is acked after its task ran ...
        task_reject_on_worker_lost=True,  # ... and requeued if the worker process died
        worker_prefetch_multiplier=1,
        task_default_queue="celery",
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        result_expires=3600,
        # A chord's counters outlive result_expires (members may run for hours); workers
        # refresh them while a member runs (workers/chord_keys.py).
        result_chord_expires=int(settings.chord_expires),
        # The store holds every outcome; a Redis backend is there for the chords' counters
        # only (it counts a chord's parts for tasks that ignore their result). Other
        # backends (embedded mode's in-memory one) join a chord by polling the header's
        # results, so there they must be stored.
        task_ignore_result=settings.result_backend.startswith(("redis", "rediss", "sentinel")),
        result_extended=False,
        # Flower's live view comes from the workers' events. No `task-sent` events: they
        # doubled the cost of publishing a fan-out (a second Redis write per message, made
        # by the worker that publishes the group), and they name the task type where the
        # workers' events carry the shadow (`dag_id.task_id`). Queued tasks are in the store.
        worker_send_task_events=True,
        task_send_sent_event=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_consumer="workers.consumer:ResilientConsumer",  # survives a Redis restart
        broker_heartbeat=10,
        redis_backend_health_check_interval=10,
        redis_socket_keepalive=True,
    )
    app.chordflow_settings = settings  # type: ignore[attr-defined]
    return app

