"""Stopping a try that ended elsewhere (cancelled, marked, timed out, cleared).

The heartbeat notices that the store no longer holds a running try and interrupts it: a
signal to the thread that executes it raises `TaskCancelled` there, so whatever the try
waits on (an operator's code, a bash child, a container) unwinds through its own cleanup
(the bash child's process group is killed, the container removed). SIGURG is used
because its default action is to be ignored: a signal that arrives after the try has
left its cancellable block cannot hurt the worker.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

from cluster.errors import AirflowException

SIGNAL = signal.SIGURG


class TaskCancelled(AirflowException):
    """The try was ended elsewhere while it ran; its result is not wanted."""


class Cancellation:
    """Which tries run cancellably on this process's main thread, and stopping them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[Any, str | None] = {}

    @contextlib.contextmanager
    def cancellable(self, key: Any) -> Iterator[None]:
        """Let `cancel(key)` interrupt the block (only on the main thread: prefork children;
        a thread pool's tries finish on their own and their results are dropped)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(SIGNAL, self._raise)
        with self._lock:
            self._armed[key] = None
        try:
            yield
        finally:
            with self._lock:
                self._armed.pop(key, None)
            signal.signal(SIGNAL, previous if previous is not None else signal.SIG_DFL)

    def cancel(self, key: Any, reason: str) -> bool:
        """Interrupt the try `key` if it runs here cancellably; True if it was signalled."""
        with self._lock:
            if key not in self._armed:
                return False
            self._armed[key] = reason
            signal.pthread_kill(threading.main_thread().ident, SIGNAL)  # type: ignore[arg-type]
        return True

    def _raise(self, *_: Any) -> None:
        with self._lock:
            reasons = [r for r in self._armed.values() if r]
        if reasons:
            raise TaskCancelled(reasons[0])
