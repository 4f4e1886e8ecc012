"""The DAG file processor: each file is parsed in a child process with a time and memory limit.

The scheduler never imports user code itself. A file that hangs, allocates without end,
calls `os._exit` or crashes the interpreter costs one child and becomes an import error
naming the file; every other file is parsed as usual (Airflow's `dagbag_import_timeout`,
plus a memory limit it does not have). Children are forked, as Airflow's DAG file
processors are on Linux: a child starts in about a millisecond with chordflow already
imported, touches none of the parent's connections and leaves with `os._exit`. (A
forkserver or spawn would re-run the caller's main script in every child: a user's
submit script without a `__main__` guard would run again per DAG file.)
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import select
import signal
import time
from pathlib import Path
from typing import Any

from cluster.errors import ChordflowError, ConfigError
from cluster.control.discovery import Discovery, dag_files
from cluster.control.loader import add_to_sys_path, describe_import_error, load_dags_from_file
from cluster.planning.serialization import digest, serialize_dag
from cluster.sdk.timetable_questions import answer

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ParsedFolder:
    """What a parse found: each DAG's serialized form and digest, and the files that failed."""

    folder: Path
    serialized: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    digests: dict[str, str] = dataclasses.field(default_factory=dict)
    import_errors: dict[str, str] = dataclasses.field(default_factory=dict)
    files: list[str] = dataclasses.field(default_factory=list)

    @property
    def dag_ids(self) -> list[str]:
        return list(self.serialized)


def check_folder(path: str | os.PathLike) -> Path:
    """The DAGs folder (or file) as an absolute path; a ConfigError when it is missing."""
    path = Path(path).absolute()
    if not path.exists():
        raise ConfigError(f"DAGs folder {path} does not exist (set CHORDFLOW_DAGS_FOLDER)")
    return path


def parse_folder(path: str | os.PathLike, dags_folder: str | os.PathLike | None = None, *,
                 timeout: float = 30.0, memory_mb: int = 4096,
                 discovery: Discovery | None = None) -> ParsedFolder:
    """Parse a DAGs folder (or one file), each file in its own limited child process."""
    path = check_folder(path)
    parsed = ParsedFolder(folder=path if path.is_dir() else path.parent)
    relative_to = str(dags_folder or parsed.folder)
    add_to_sys_path(relative_to)
    for file in dag_files(path, discovery):
        name = str(file)
        parsed.files.append(name)
        try:
            found = parse_file(file, relative_to, timeout=timeout, memory_mb=memory_mb)
            for data in found:
                other = parsed.serialized.get(data["dag_id"])
                if other is not None:
                    raise ChordflowError(f"DAG id {data['dag_id']!r} is already defined in "
                                         f"{other['fileloc']}")
        except ChordflowError as exc:
            parsed.import_errors[name] = (str(exc) if isinstance(exc, FileImportError)
                                          else f"{type(exc).__name__}: {exc}")
            log.info("DAG file %s failed to load: %s", name, parsed.import_errors[name])
            continue
        for data in found:
            parsed.serialized[data["dag_id"]] = data
            parsed.digests[data["dag_id"]] = digest(data)
    return parsed


class DagFileProcessorError(ChordflowError):
    """A DAG file's child process timed out, ran out of memory or died."""


class DagFileProcessorTimeout(DagFileProcessorError):
    pass


class FileImportError(ChordflowError):
    """What importing the file raised, described in the child (`describe_import_error`)."""


def parse_file(file: Path, dags_folder: str, *, timeout: float, memory_mb: int
               ) -> list[dict[str, Any]]:
    """The serialized DAGs of one file, parsed in a child; failures raise ChordflowError."""
    kind, body = _in_child(_parse_in_child, (str(file), dags_folder, memory_mb), timeout,
                           memory_mb, f"parsing took longer than {timeout:g}s "
                                      "(CHORDFLOW_DAG_FILE_PROCESSOR_TIMEOUT)")
    if kind == "error":
        raise FileImportError(body)
    return body


class _Answer:
    """The child's end of the pipe: one answer, its length first, so the parent never
    waits for an end of file that another forked child could hold open."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send_bytes(self, data: bytes) -> None:
        view = memoryview(len(data).to_bytes(8, "big") + data)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _in_child(target: Any, args: tuple[Any, ...], timeout: float, memory_mb: int,
              too_slow: str) -> tuple[str, Any]:
    """Run `target(*args, send)` in a limited, forked child; its one answer, or why there
    is none. Forked with os.fork, not multiprocessing: a Celery pool process is daemonic,
    and multiprocessing refuses children to those (workers import DAG files this way)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            target(*args, _Answer(write_fd))
        finally:
            os._exit(1)  # a target leaves with os._exit(0) once it has answered
    os.close(write_fd)
    deadline = time.monotonic() + timeout
    answer = bytearray()  # grown in place: a large answer is not copied per chunk
    try:
        size = None
        while size is None or len(answer) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                raise DagFileProcessorTimeout(too_slow)
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                raise DagFileProcessorError(_death(_exit_code(pid, wait=True), memory_mb))
            answer += chunk
            if size is None and len(answer) >= 8:
                size = int.from_bytes(answer[:8], "big")
                del answer[:8]
    finally:
        os.close(read_fd)
        _exit_code(pid, wait=False)
    kind, body = json.loads(answer)
    return kind, body


def _exit_code(pid: int, wait: bool) -> int | None:
    """The child's exit code (negative: the signal that killed it); without `wait`, a
    child still running is killed first. Reaps it either way."""
    try:
        if not wait:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)
    except ChildProcessError:  # reaped already
        return None


def _child_signals() -> None:
    """A forked child inherits its parent's handlers: Ctrl-C is the parent's to handle, and
    SIGTERM (the parent stopping, or terminating its children at exit) ends the child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _parse_in_child(file: str, dags_folder: str, memory_mb: int, send: _Answer) -> None:
    _child_signals()
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        dags = load_dags_from_file(Path(file))
        message = ["ok", [serialize_dag(dag, dags_folder) for dag in dags]]
    except MemoryError:
        message = ["error", f"MemoryError: the file used more than {memory_mb} MiB "
                            "(CHORDFLOW_DAG_FILE_MEMORY_LIMIT_MB)"]
    except BaseException as exc:  # a DAG file may raise anything, even SystemExit
        message = ["error", describe_import_error(exc, Path(file))]
    try:
        send.send_bytes(json.dumps(message, default=str).encode())
    except MemoryError:
        pass  # the parent reports a child that died without an answer
    finally:
        send.close()
    os._exit(0)  # no atexit hooks or finalizers of the DAG file's imports


def ask_timetable(file: str, dag_id: str, question: dict[str, Any], *, timeout: float,
                  memory_mb: int) -> list[list[str]]:
    """Ask a DAG's own timetable class (user code) for runs, in a limited child like a
    parse; returns [run_after, data_interval_start, data_interval_end] as ISO texts."""
    kind, body = _in_child(_ask_in_child, (file, dag_id, question, memory_mb), timeout,
                           memory_mb, f"the timetable of {dag_id!r} took longer than "
                                      f"{timeout:g}s to answer")
    if kind == "error":
        raise FileImportError(f"timetable of {dag_id!r}: {body}")
    return body


def _ask_in_child(file: str, dag_id: str, question: dict[str, Any], memory_mb: int,
                  send: _Answer) -> None:

    _child_signals()
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        dags = {d.dag_id: d for d in load_dags_from_file(Path(file))}
        if dag_id not in dags:
            raise ChordflowError(f"{file} no longer defines DAG {dag_id!r}")
        message = ["ok", answer(dags[dag_id].timetable, question)]
    except BaseException as exc:  # user code may raise anything
        message = ["error", f"{type(exc).__name__}: {exc}"]
    try:
        send.send_bytes(json.dumps(message, default=str).encode())
    finally:
        send.close()
    os._exit(0)


def _death(exitcode: int | None, memory_mb: int) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = f", perhaps its memory limit of {memory_mb} MiB" if exitcode == -signal.SIGKILL else ""
        return f"the parsing process was killed by {name}{hint}"
    return f"the parsing process exited with code {exitcode} before it answered"
