"""The worker's Celery consumer, surviving a broker that restarts.

When Redis goes away, Celery's consumer collects the broken connection and then closes
it; kombu's Redis channel restores its unacked messages on close, which needs the
connection `collect()` has just dropped, and the AttributeError it raises is not one of
the errors Celery ignores there: the whole worker stopped ("Unrecoverable error") on
every Redis restart. Likewise the ack of a task that was running across the restart goes
to a channel without a connection and raised in the event loop. Here both may fail; the
consumer reconnects and goes on. Nothing is lost: an unacked message stays in Redis and
its later delivery finds the task instance final (a no-op), and the scheduler resends
any task instance left queued (CHORDFLOW_QUEUED_TIMEOUT).
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from celery.worker.consumer import Consumer

log = logging.getLogger("chordflow.worker")


class ResilientConsumer(Consumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError as error:
            log.warning("broker connection lost (%r); its channels could not be closed "
                        "cleanly (%s); reconnecting", exc, error)
            self.connection = None

    def call_soon_ack(self, p: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return super().call_soon_ack(_tolerating_a_lost_connection(p), *args, **kwargs)


def _tolerating_a_lost_connection(ack: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(ack)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return ack(*args, **kwargs)
        except AttributeError as error:  # the channel's connection is gone (see above)
            log.warning("could not acknowledge a message of a lost broker connection (%s); "
                        "it stays in Redis and its next delivery is a no-op", error)
            return None

    return call
