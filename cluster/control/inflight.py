"""Which task instances the broker still holds a message for.

The scheduler resends a task that has been ready too long only when its message is
known to be lost. A message waiting in a Redis queue (a backlog), or held by a live
worker (prefetched, or counting down to a pool slot or a retry), is not lost; resending
it would only grow the queue. Other brokers (embedded mode's in-memory one) cannot be
looked into: there every overdue task counts as lost, as before.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import time
from typing import Any, Iterable, Iterator

from celery import Celery

from cluster.planning.canvas import ARRIVE_TASK, RUN_TASK

log = logging.getLogger("chordflow.scheduler")
Key = tuple[int, str, int]  # run_pk, task_id, map_index
SCAN_LIMIT = 100_000  # messages read per queue; a longer backlog counts as all in flight
_CHUNK = 1000


class Inflight:
    """What one look into the broker found."""

    def __init__(self, keys: set[Key], overflow: set[str]) -> None:
        self.keys = keys
        self.overflow = overflow  # queues too long to read whole

    def holds(self, key: Key, queue: str) -> bool:
        return key in self.keys or queue in self.overflow


def look(app: Celery, queues: Iterable[str], fresh_within: float) -> Inflight | None:
    """The task instances with a message in `queues`, or unacked by a worker and either
    delivered within `fresh_within` seconds or due later (an ETA); None when the broker
    is not Redis or cannot be read."""
    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            if client is None or not hasattr(client, "lrange") \
                    or not hasattr(channel, "_q_for_pri"):
                return None
            keys: set[Key] = set()
            overflow: set[str] = set()
            for queue in set(queues):
                for pri in sorted(set(channel.priority_steps)):
                    if not _scan_list(client, channel._q_for_pri(queue, pri), keys):
                        overflow.add(queue)
            _scan_unacked(client, channel.unacked_key, channel.unacked_index_key,
                          fresh_within, keys)
            return Inflight(keys, overflow)
    except Exception:  # a broker that is restarting: decide the old way this cycle
        log.warning("cannot look into the broker's queues", exc_info=True)
        return None


def _scan_list(client: Any, name: str, keys: set[Key]) -> bool:
    """Add the keys of the messages in one Redis list; False when it is too long."""
    length = client.llen(name)
    if length > SCAN_LIMIT:
        return False
    for start in range(0, length, _CHUNK):
        for raw in client.lrange(name, start, start + _CHUNK - 1):
            keys.update(message_keys(raw))
    return True


def _scan_unacked(client: Any, hash_name: str, index_name: str, fresh_within: float,
                  keys: set[Key]) -> None:
    now = time.time()
    delivered = {_text(tag): score for tag, score in
                 client.zrange(index_name, 0, -1, withscores=True)}
    for tag, raw in client.hscan_iter(hash_name, count=_CHUNK):
        try:
            message = json.loads(raw)[0]
        except (ValueError, TypeError, IndexError):
            continue
        eta = (message.get("headers") or {}).get("eta")
        if now - delivered.get(_text(tag), now) > fresh_within and not _later(eta, now):
            continue  # held by a worker that is most likely gone
        keys.update(message_keys(json.dumps(message)))


def message_keys(raw: bytes | str) -> Iterator[Key]:
    """The task instances one Redis message would run: its own task, and those of the
    chain and chord it carries."""
    try:
        message = json.loads(raw)
        headers = message.get("headers") or {}
        body = json.loads(base64.b64decode(message["body"]))
    except (ValueError, TypeError, KeyError):
        return
    if not isinstance(body, list) or len(body) != 3:
        return
    args, _, embed = body
    yield from _sig_keys(headers.get("task"), args)
    yield from _embedded_keys(embed)


def _sig_keys(task: Any, args: Any) -> Iterator[Key]:
    if not isinstance(args, list) or len(args) < 2:
        return
    if task == RUN_TASK:
        yield int(args[0]), str(args[1]), int(args[3]) if len(args) > 3 else -1
    elif task == ARRIVE_TASK:  # a join on its way: its task is launched from there
        yield int(args[0]), str(args[1]), -1


def _embedded_keys(node: Any) -> Iterator[Key]:
    if isinstance(node, dict):
        if "task" in node and "args" in node:
            yield from _sig_keys(node.get("task"), list(node.get("args") or ()))
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _embedded_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _embedded_keys(item)


def _later(eta: Any, now: float) -> bool:
    if not eta:
        return False
    try:
        when = dt.datetime.fromisoformat(str(eta))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp() > now


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
