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
"""
from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from typing import Any, Callable

from workers.containers import LABEL_PREFIX, remove
from workers.task_api.grants import Grant

log = logging.getLogger("chordflow.worker")


@dataclasses.dataclass
class Warm:
    """A started container waiting on its standby grant."""

    container: Any
    standby: Grant


class WarmPool:
    """Keeps `size` warm containers; `take()` hands one out and starts its replacement.

    Parameters:
      create: makes (not starts) a container given its environment and labels.
      api: the worker process's task API, whose standby tokens the containers hold.
      labels: what every container carries (its installation's label among them).
    """

    def __init__(self, create: Callable[[dict[str, str], dict[str, str]], Any], api: Any,
                 environment: Callable[[str], dict[str, str]], labels: dict[str, str],
                 size: int) -> None:
        self._create, self._api, self._environment = create, api, environment
        self._labels = {**labels,
                        f"{LABEL_PREFIX}warm": f"{socket.gethostname()}-{os.getpid()}"}
        self.size = size
        self._ready: list[Warm] = []
        self._starting = 0
        self._failures = 0
        self._closed = False
        self._cond = threading.Condition()

    def fill(self) -> None:
        """Start containers until `size` are ready or starting."""
        with self._cond:
            wanted = self.size - len(self._ready) - self._starting
            if self._closed or wanted <= 0 or self._failures >= 3:
                return
            self._starting += wanted
        for _ in range(wanted):
            threading.Thread(target=self._start_one, name="chordflow-warm-container",
                             daemon=True).start()

    def take(self, wait: float = 30.0) -> Warm | None:
        """A ready container (waiting for one that is starting, up to `wait` seconds), or
        None when none can be had: the try then starts a container of its own."""
        self.fill()
        with self._cond:
            self._cond.wait_for(lambda: self._ready or not self._starting or self._closed,
                                timeout=wait)
            warm = None
            if self._ready and not self._closed:  # one already waiting, else the oldest
                warm = next((w for w in self._ready if w.standby.waiting), self._ready[0])
                self._ready.remove(warm)
        self.fill()
        return warm

    def hand_over(self, warm: Warm, grant: Grant) -> None:
        self._api.grants.hand_over(warm.standby, grant)

    def close(self, wait: float = 15.0) -> None:
        """Remove the waiting containers (a worker process shutting down), those still
        starting too once they have started (up to `wait` seconds)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._starting, timeout=wait)
            waiting, self._ready = self._ready, []
        for warm in waiting:
            self._api.grants.revoke(warm.standby.token)
            remove(warm.container)

    def _start_one(self) -> None:
        standby = self._api.grants.issue_standby()
        container = None
        try:
            container = self._create(self._environment(standby.token), self._labels)
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
            self._ready.append(Warm(container, standby))
            self._cond.notify_all()
