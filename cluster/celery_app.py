"""The configured Celery app (`celery -A cluster.celery_app:app ...`, Flower included)."""
from __future__ import annotations

import inspect

from celery import Celery
from celery.app.amqp import AMQP

from .config import Settings


class ShadowedAMQP(AMQP):
    """Celery's message builder, with `task-sent` events named like the message's shadow.

    Celery names the `task-sent` event after the task type while `task-received` uses the
    shadow (`dag_id.task_id`). Events of different processes arrive in any order, and a
    late `task-sent` overwrites the name in Flower's state (celery.events.state merges
    every field of a happens-before event but RECEIVED's), so some tasks showed up as
    `chordflow.run_task_instance`. With both events carrying the shadow, none can.
    """

    # Celery's send_task passes `shadow` by position; find it there or among the keywords.
    _SHADOW_AT = list(inspect.signature(AMQP.as_task_v2).parameters).index("shadow") - 3

    def as_task_v2(self, task_id, name, *args, **kwargs):  # type: ignore[override]
        message = super().as_task_v2(task_id, name, *args, **kwargs)
        shadow = args[self._SHADOW_AT] if len(args) > self._SHADOW_AT else kwargs.get("shadow")
        if shadow and message.sent_event is not None:
            message.sent_event["name"] = shadow
        return message


def create_app(settings: Settings) -> Celery:
    app = Celery("chordflow", broker=settings.broker_url, backend=settings.result_backend,
                 amqp=ShadowedAMQP, set_as_current=True)
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
        result_extended=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
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


def _default_app() -> Celery:
    from workers.tasks import register

    app = create_app(Settings.from_env())
    register(app)
    return app


app = _default_app()
