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
from typing import Any, Callable, Iterator

from cluster.errors import AirflowException

SIGNAL = signal.SIGURG


class TaskCancelled(AirflowException):
    """The try was ended elsewhere while it ran; its result is not wanted."""


class Cancellation:
    """Which tries run cancellably on this process's main thread, and stopping them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[Any, str | None] = {}
        self._stoppers: dict[Any, Callable[[], None]] = {}
        self._signalled: set[Any] = set()  # keys armed on the main thread

    @contextlib.contextmanager
    def cancellable(self, key: Any) -> Iterator[None]:
        """Let `cancel(key)` interrupt the block: on the main thread (prefork children) by a
        signal; on any thread through the stopper a runner registered (`on_cancel`), e.g.
        the process runner killing its child."""
        if threading.current_thread() is not threading.main_thread():
            with self._lock:
                self._armed[key] = None
            try:
                yield
            finally:
                with self._lock:
                    self._armed.pop(key, None)
            return
        previous = signal.signal(SIGNAL, self._raise)
        with self._lock:
            self._armed[key] = None
            self._signalled.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._armed.pop(key, None)
                self._signalled.discard(key)
            signal.signal(SIGNAL, previous if previous is not None else signal.SIG_DFL)

    def on_cancel(self, key: Any, stopper: Callable[[], None] | None) -> None:
        """While set, cancelling `key` calls `stopper` (instead of signalling a thread)."""
        with self._lock:
            if stopper is None:
                self._stoppers.pop(key, None)
            else:
                self._stoppers[key] = stopper

    def reason(self, key: Any) -> str | None:
        """Why `key` was cancelled, if it was."""
        with self._lock:
            return self._armed.get(key)

    def cancel(self, key: Any, reason: str) -> bool:
        """Interrupt the try `key` if it runs here cancellably; True if it was stopped."""
        with self._lock:
            if key not in self._armed:
                return False
            self._armed[key] = reason
            stopper = self._stoppers.get(key)
            if stopper is None:
                if key not in self._signalled:
                    return False
                signal.pthread_kill(threading.main_thread().ident, SIGNAL)  # type: ignore[arg-type]
                return True
        stopper()
        return True

    def _raise(self, *_: Any) -> None:
        with self._lock:
            reasons = [self._armed[k] for k in self._signalled if self._armed.get(k)]
        if reasons:
            raise TaskCancelled(reasons[0])
