"""Warm task containers: started before their try is known, each used by exactly one try.

Creating and starting a container, and Python importing the task side in it, cost a few
hundred milliseconds that a try would otherwise wait for. The docker runner keeps
`CHORDFLOW_WARM_CONTAINERS` containers per worker process started and waiting (0: none).
A warm container's token is a standby one (workers/task_api/grants.py): its only call
waits until the worker hands it a try, and the answer brings that try's own token. It
runs that one try and ends, and is removed like any task container: isolation is the
same as a container started for the try. Each carries its installation's label and
`chordflow.warm`; one whose worker is gone ends itself, and the orphan sweep removes it
(workers/containers.py).

The engine's work around the tries (starting replacements, removing used containers)
is done by one housekeeping thread, one container at a time, and waits for a lull (no
container taken for `LULL` seconds) while containers are still waiting: a burst of short
tries takes from the pool without competing with the engine for the CPU, and the pool is
refilled after it. An empty pool is refilled at once.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import os
import socket
import threading
import time
from typing import Any, Callable

from workers.containers import LABEL_PREFIX, remove
from workers.task_api.grants import Grant

log = logging.getLogger("chordflow.worker")


@dataclasses.dataclass
class Warm:
    """A started container waiting on its standby grant."""

    container: Any
    standby: Grant
    ahead: str | None = None  # the DAG file it loads while it waits


LULL = 0.25  # seconds without a take before waiting housekeeping is done


class WarmPool:
    """Keeps `size` warm containers; `take()` hands one out, `discard()` queues a used one
    for removal; one housekeeping thread starts replacements and removes used ones.

    A replacement loads, while it waits, the DAG file of the last try taken (most tries
    that follow a try are of its DAG), and `take` prefers a container that loaded the
    try's file.

    Parameters:
      create: makes (not starts) a container given its environment and labels.
      api: the worker process's task API, whose standby tokens the containers hold.
      environment: a container's environment given its standby token and the DAG file
        it is to load ahead (or None).
      labels: what every container carries (its installation's label among them).
    """

    def __init__(self, create: Callable[[dict[str, str], dict[str, str]], Any], api: Any,
                 environment: Callable[[str, str | None], dict[str, str]],
                 labels: dict[str, str], size: int) -> None:
        self._create, self._api, self._environment = create, api, environment
        self._labels = {**labels,
                        f"{LABEL_PREFIX}warm": f"{socket.gethostname()}-{os.getpid()}"}
        self.size = size
        self._ready: list[Warm] = []
        self._used: list[Any] = []  # containers whose try is over, to remove
        self._starting = 0
        self._failures = 0
        self._last_take = float("-inf")  # none taken yet: a lull
        self._ahead: str | None = None  # the DAG file of the last try taken
        self._closed = False
        self._cond = threading.Condition()
        self._keeper: threading.Thread | None = None

    def fill(self) -> None:
        """Have the housekeeping thread start containers until `size` are ready."""
        with self._cond:
            if self._closed:
                return
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._keep, daemon=True,
                                                name="chordflow-warm-containers")
                self._keeper.start()
            self._cond.notify_all()

    def take(self, dag_file: str | None = None, wait: float = 30.0) -> Warm | None:
        """A ready container (waiting for the one that is starting, up to `wait` seconds),
        or None when none can be had: the try then starts a container of its own. One
        that has loaded `dag_file` and called in first, then one that has called in, then
        the oldest."""
        self.fill()
        with self._cond:
            self._last_take, self._ahead = time.monotonic(), dag_file
            self._cond.wait_for(lambda: self._ready or not self._starting or self._closed,
                                timeout=wait)
            warm = None
            if self._ready and not self._closed:
                warm = min(self._ready, key=lambda w: (w.ahead != dag_file or dag_file is None,
                                                      not w.standby.waiting))
                self._ready.remove(warm)
            self._cond.notify_all()
        return warm

    def hand_over(self, warm: Warm, grant: Grant) -> None:
        self._api.grants.hand_over(warm.standby, grant)

    def discard(self, container: Any) -> None:
        """A container whose try is over: removed at the next lull (or now, once closed)."""
        with self._cond:
            if not self._closed:
                self._used.append(container)
                self._cond.notify_all()
                return
        remove(container)

    def close(self, wait: float = 15.0) -> None:
        """Remove the waiting containers (a worker process shutting down) and the used
        ones, the one still starting too once it has started (up to `wait` seconds)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._starting, timeout=wait)
            waiting, self._ready = self._ready, []
            used, self._used = self._used, []
        for warm in waiting:
            self._api.grants.revoke(warm.standby.token)
            remove(warm.container)
        for container in used:
            remove(container)

    def _keep(self) -> None:
        """The housekeeping thread: one start or one removal at a time, at a lull unless
        the pool is empty (or the used ones pile up past `size`)."""
        while True:
            with self._cond:
                job = self._next_job()
                while job is None:
                    if self._closed:
                        return
                    quiet = LULL - (time.monotonic() - self._last_take)
                    self._cond.wait(quiet if quiet > 0 and (self._used or self._short())
                                    else None)
                    job = self._next_job()
            job()

    def _short(self) -> bool:
        return self.size - len(self._ready) - self._starting > 0 and self._failures < 3

    def _next_job(self) -> Callable[[], None] | None:
        """Under the lock: what the housekeeping thread does next, if anything now."""
        if self._closed:
            return None
        lull = time.monotonic() - self._last_take >= LULL
        if self._short() and (lull or not self._ready):
            self._starting += 1
            return self._start_one
        if self._used and (lull or len(self._used) > max(self.size, 4)):
            return functools.partial(remove, self._used.pop(0))
        return None

    def _start_one(self) -> None:
        standby = self._api.grants.issue_standby()
        with self._cond:
            ahead = self._ahead
        container = None
        try:
            container = self._create(self._environment(standby.token, ahead), self._labels)
            container.start()
        except Exception:
            log.warning("could not start a warm task container", exc_info=True)
            self._api.grants.revoke(standby.token)
            if container is not None:
                remove(container)
            with self._cond:
                self._starting -= 1
                self._failures += 1  # a broken engine or image: tries start their own
                self._cond.notify_all()
            return
        with self._cond:  # closed meanwhile: close() removes it with the others
            self._starting -= 1
            self._failures = 0
            self._ready.append(Warm(container, standby, ahead))
            self._cond.notify_all()
