"""kombu's Redis transport, reusing one client per channel for plain commands.

kombu builds a new `redis.Redis` object (a connection pool reference plus a few hundred
response callbacks) for every publish to a fanout exchange and every ack; Celery's task
events are fanout publishes, so a worker paid that twice or more per task. The client
is thread-safe and takes its connections from the channel's pool, so one per channel
does the same work.
"""
from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _plain_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        if self._plain_client is None:
            self._plain_client = super()._create_client()
        return self._plain_client

    def _disconnect_pools(self) -> None:  # a new pool after a reconnect: a new client too
        self._plain_client = None
        super()._disconnect_pools()


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    """Make `redis://` (and `rediss://`) URLs use this transport in this process."""
    from kombu.transport import TRANSPORT_ALIASES

    TRANSPORT_ALIASES["redis"] = TRANSPORT_ALIASES["rediss"] = f"{__name__}:Transport"
