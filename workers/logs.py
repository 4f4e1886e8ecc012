"""Capture a try's stdout, stderr and logging into the store as it is produced."""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
import time
from typing import Iterator

from cluster.security.masking import MASKER, Masker  # noqa: F401  (re-exported)
from sqlalchemy.exc import OperationalError

from cluster.store import Store
from cluster.store import logs as log_store

_local = threading.local()


class TaskLogWriter(io.TextIOBase):
    """A file-like sink for one try: buffered, flushed to the store every half second.

    The task's own output is kept up to `max_bytes` (0: no limit); past it one line says
    the log was cut, and the rest is dropped. chordflow's own lines about the try (its end,
    its error) are always kept."""

    def __init__(self, store: Store, run_pk: int, task_id: str, try_number: int,
                 map_index: int = -1, echo: bool = False, max_bytes: int = 0) -> None:
        self.store, self.run_pk, self.task_id = store, run_pk, task_id
        self.try_number, self.map_index = try_number, map_index
        self._buf: list[str] = []
        self._size = 0
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self.echo = echo
        self.max_bytes = max_bytes
        self._room = max_bytes   # bytes of output still kept
        self.dropped = 0         # bytes of output past the cap

    def write(self, text: str) -> int:  # type: ignore[override]
        if not text:
            return 0
        written = len(text)
        if self.max_bytes:
            text = self._within_cap(text)
        if text:
            self._append(text)
        return written

    def _within_cap(self, text: str) -> str:
        data = text.encode("utf-8", "backslashreplace")
        with self._lock:
            if len(data) <= self._room:
                self._room -= len(data)
                return text
            kept, self._room, first = data[:self._room], 0, self.dropped == 0
            self.dropped += len(data) - len(kept)
        if not first:
            return ""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        return (kept.decode("utf-8", "ignore") + f"\n[{stamp}] this try's log reached "
                f"CHORDFLOW_TASK_LOG_MAX_BYTES ({self.max_bytes} bytes): the rest of its "
                "output is not stored\n")

    def _append(self, text: str) -> None:
        with self._lock:
            self._buf.append(text)
            self._size += len(text)
        if self._size > 16384:
            self.flush()

    def line(self, text: str) -> None:
        """A line from chordflow itself about this try (start, end, errors); never cut."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self._append(f"[{stamp}] {text}\n")

    def take(self) -> str:
        """The text not yet written, masked and storable; the caller stores it (with the
        try's end)."""
        with self._lock:
            text, self._buf, self._size = "".join(self._buf), [], 0
        return storable(MASKER(text)) if text else ""

    def flush(self) -> None:
        """Store the buffered text. While the database is away it stays buffered; text the
        store refuses is dropped with a line saying so, and the error is raised."""
        text = self.take()
        if not text:
            return
        try:
            log_store.append_log(self.store, self.run_pk, self.task_id, self.try_number,
                                text, self.map_index)
        except OperationalError:
            with self._lock:
                self._buf.insert(0, text)
                self._size += len(text)
            raise
        except Exception as exc:
            self.line(f"{len(text)} characters of this log could not be stored: "
                      f"{first_line(exc)}")
            raise


def storable(text: str) -> str:
    """Text any database column takes: NUL bytes (PostgreSQL refuses them) and lone
    surrogates (not UTF-8) become visible escapes."""
    text = text.replace("\x00", "\\x00")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message`, for a log line about an error."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


class _Router(io.TextIOBase):
    """sys.stdout/sys.stderr stand-in: a thread running a task writes to its task log."""

    def __init__(self, original: object) -> None:
        self.original = original

    def write(self, text: str) -> int:  # type: ignore[override]
        writer = getattr(_local, "writer", None)
        if writer is not None:
            return writer.write(text)
        return self.original.write(text)  # type: ignore[attr-defined]

    def flush(self) -> None:
        writer = getattr(_local, "writer", None)
        (writer or self.original).flush()  # type: ignore[union-attr]

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.original.fileno()  # type: ignore[attr-defined]


class _LogHandler(logging.Handler):
    """Routes log records emitted by a task's code into its task log."""

    def emit(self, record: logging.LogRecord) -> None:
        writer = getattr(_local, "writer", None)
        if writer is None or record.name.startswith(("chordflow", "celery", "kombu", "sqlalchemy")):
            return
        try:
            writer.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


_installed = False
_install_lock = threading.Lock()


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        sys.stdout = _Router(sys.stdout)  # type: ignore[assignment]
        sys.stderr = _Router(sys.stderr)  # type: ignore[assignment]
        handler = _LogHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        _installed = True


def current_writer():  # type: ignore[no-untyped-def]
    """This thread's task log, for output produced by other threads (container streams)."""
    return getattr(_local, "writer", None) or sys.stdout


@contextlib.contextmanager
def capture(writer: TaskLogWriter) -> Iterator[TaskLogWriter]:
    """Inside the block, this thread's stdout, stderr and logging go to `writer`."""
    _install()
    previous = getattr(_local, "writer", None)
    _local.writer = writer
    try:
        yield writer
    finally:
        _local.writer = previous
