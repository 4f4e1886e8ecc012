"""Tokens of the task API: one per try, bound to (run, task, map index, try), short-lived.

A grant also collects what the try reports (its return value, its signal), which the
runner reads once the try has ended; revoking the grant at the end makes its token
useless, so a leaked token opens nothing after its try.

A standby grant is the token of a task container started before its try was known (the
docker runner's warm containers): it can only wait for a try, and gets that try's own
token once, when the worker hands the try over. Then it is revoked.
"""
from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from typing import Any

from workers.task_api.protocol import Signal

# A try without an execution_timeout keeps its token at most this long.
DEFAULT_LIFETIME = 24 * 3600.0
# Slack past a try's timeout: the runner stops the try at its timeout and revokes then.
LIFETIME_SLACK = 300.0

TryKey = tuple[int, str, int, int]  # (run_pk, task_id, map_index, try_number)


@dataclasses.dataclass
class Grant:
    """What one token may do: act for the try `key` until `expires` (time.monotonic())."""

    token: str
    key: TryKey
    expires: float
    context: dict[str, Any]
    result: Any = None
    has_result: bool = False
    signal: Signal | None = None
    signal_message: str = ""
    retry_delay: float | None = None  # a retry policy's delay for the next try
    outlet_events: dict[str, Any] = dataclasses.field(default_factory=dict)
    calls: int = 0
    # a standby grant: set once the try it waits for is handed over (`Grants.hand_over`)
    standby: threading.Event | None = None
    handed: "Grant | None" = None
    waiting: bool = False  # a standby's container has called: it is up and waiting

    @property
    def run_pk(self) -> int:
        return self.key[0]

    @property
    def task_id(self) -> str:
        return self.key[1]

    @property
    def map_index(self) -> int:
        return self.key[2]


class Grants:
    """The live grants of one worker process."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_token: dict[str, Grant] = {}

    def issue(self, key: TryKey, context: dict[str, Any], timeout: float | None) -> Grant:
        """A fresh random token for the try `key`, valid for its timeout plus slack."""
        lifetime = (timeout + LIFETIME_SLACK) if timeout else DEFAULT_LIFETIME
        grant = Grant(token=secrets.token_urlsafe(32), key=key,
                      expires=self._clock() + lifetime, context=context)
        with self._lock:
            self._drop_expired()
            self._by_token[grant.token] = grant
        return grant

    def issue_standby(self) -> Grant:
        """A token that may only wait for a try (a warm container's), for a day at most."""
        grant = Grant(token=secrets.token_urlsafe(32), key=(-1, "", -1, -1),
                      expires=self._clock() + DEFAULT_LIFETIME, context={},
                      standby=threading.Event())
        with self._lock:
            self._drop_expired()
            self._by_token[grant.token] = grant
        return grant

    def hand_over(self, standby: Grant, grant: Grant) -> None:
        """The container holding `standby` runs `grant`'s try: its waiting call answers."""
        assert standby.standby is not None
        standby.handed = grant
        standby.standby.set()

    def find(self, token: str) -> Grant | None:
        """The grant of a valid token; None for an unknown, revoked or expired one."""
        with self._lock:
            grant = self._by_token.get(token)
            if grant is not None and grant.expires <= self._clock():
                del self._by_token[token]
                return None
            return grant

    def revoke(self, token: str) -> None:
        with self._lock:
            grant = self._by_token.pop(token, None)
        if grant is not None and grant.standby is not None:
            grant.standby.set()  # a waiting call ends (with no try)

    def __len__(self) -> int:
        return len(self._by_token)

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, g in self._by_token.items() if g.expires <= now]:
            del self._by_token[token]
