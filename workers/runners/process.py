"""The process runner: each try in a child process forked from the worker (embedded mode,
tests), talking to the task API like a container does.

The child is forked from the already-imported worker, so a try costs a fork, not an
interpreter start. It runs in a session of its own with a clean environment
(workers/isolation.py), its stdout and stderr piped into the task log, and reaches
variables, connections and XComs only through the task API with its try's token. The
parent waits with the try's deadline: an execution_timeout, a cancel, clear or mark
kills the child's whole process group (a BashOperator's children included), under any
worker pool, threads too. Operators that drive their own container or read the store
(DockerOperator, KubernetesPodOperator, ExternalTaskSensor) run in the worker itself
(`InWorkerRunner`).
"""
from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any

from cluster import deferral
from cluster.context_var import use_context
from cluster.errors import AirflowException
from cluster.operators.virtualenv import VENV_CACHE_ENV

from ..cancellation import TaskCancelled
from ..isolation import task_environment
from ..logs import TaskLogWriter, capture
from ..task_api.client import TaskApiClient
from ..task_api.protocol import ADDRESS_ENV, TOKEN_ENV
from ..task_api.tries import conclude, granted, try_key

_FORK_LOCK = threading.Lock()  # one fork at a time: no child inherits another try's pipe
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL of a stopped try's process group
_RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGURG,
                  signal.SIGCHLD, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


class TaskTimeout(AirflowException):
    """A try ran longer than its `execution_timeout`."""


class InWorkerRunner:
    """Runs the operator in this worker process (operators that need the worker's means)."""

    name = "process"
    isolated = False

    def execute(self, operator: Any, context: dict[str, Any], log: TaskLogWriter,
                timeout: float | None) -> Any:
        with capture(log), _deadline(timeout), use_context(context):
            return deferral.execute(operator, context)


class ProcessRunner:
    """Forks a child per try; see the module docstring."""

    name = "process"
    isolated = False

    def __init__(self) -> None:
        self._in_worker = InWorkerRunner()

    def execute(self, operator: Any, context: dict[str, Any], log: TaskLogWriter,
                timeout: float | None) -> Any:
        if getattr(operator, "runs_own_container", False):
            return self._in_worker.execute(operator, context, log, timeout)
        from ..runtime import runtime

        rt = runtime()
        api = rt.task_api
        address = api.unix_address()
        env = task_environment(rt.settings)
        with granted(api, rt.settings.dags_folder, context, timeout) as grant:
            env.update({ADDRESS_ENV: address, TOKEN_ENV: grant.token,
                        VENV_CACHE_ENV: str(rt.settings.home / "venvs")})
            child = _Child.fork(operator, context, env, rt)
            child.start_reading(log)
            key = try_key(context)
            rt.cancellation.on_cancel(key, child.stop)
            try:
                ended = child.wait(timeout)
                reason = rt.cancellation.reason(key)
                if reason:
                    raise TaskCancelled(reason)
                if not ended:
                    raise TaskTimeout(f"execution_timeout of {timeout:g}s exceeded: "
                                      f"the try's processes were stopped")
            finally:
                rt.cancellation.on_cancel(key, None)
                child.stop()
                child.drain(log)
            return conclude(grant, child.exit_code, "the task's process")


class _Child:
    """One forked try: its pid (a process group of its own) and its output pipe."""

    def __init__(self, pid: int, output: int) -> None:
        self.pid, self.output = pid, output
        self.exit_code = -1
        self._ended = threading.Event()
        self._reader: threading.Thread | None = None
        self._chunks: list[bytes] = []
        threading.Thread(target=self._reap, name=f"chordflow-try-{pid}", daemon=True).start()

    @classmethod
    def fork(cls, operator: Any, context: dict[str, Any], env: dict[str, str],
             rt: Any) -> "_Child":
        with _FORK_LOCK:
            read_fd, write_fd = os.pipe()
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_fd)
                _child_main(write_fd, operator, context, env, rt, parent)
            os.close(write_fd)
        return cls(pid, read_fd)

    def start_reading(self, log: TaskLogWriter) -> None:
        self._reader = threading.Thread(target=_copy, args=(self.output, log), daemon=True,
                                        name=f"chordflow-try-output-{self.pid}")
        self._reader.start()

    def _reap(self) -> None:
        _, status = os.waitpid(self.pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)
        self._ended.set()

    def wait(self, timeout: float | None) -> bool:
        """True when the child ended (by itself or stopped) within `timeout` seconds."""
        return self._ended.wait(timeout)

    def stop(self) -> None:
        """End the child's process group: SIGTERM, then SIGKILL after a grace period."""
        if self._ended.is_set():
            _kill_group(self.pid, signal.SIGKILL)  # what the try left behind
            return
        _kill_group(self.pid, signal.SIGTERM)
        if not self._ended.wait(KILL_GRACE):
            _kill_group(self.pid, signal.SIGKILL)
            self._ended.wait()

    def drain(self, log: TaskLogWriter) -> None:
        if self._reader is not None:
            self._reader.join(10)


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _copy(fd: int, log: TaskLogWriter) -> None:
    """The child's output into the task log as it comes (bytes decoded line by line)."""
    with io.open(fd, "rb", buffering=0, closefd=True) as pipe:
        pending = b""
        while True:
            chunk = pipe.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                log.write("".join(raw.decode("utf-8", errors="replace") + "\n" for raw in lines))
        if pending:
            log.write(pending.decode("utf-8", errors="replace"))


def _child_main(write_fd: int, operator: Any, context: dict[str, Any], env: dict[str, str],
                rt: Any, parent: int) -> None:
    """The forked child: a session of its own, a clean environment, the API; exits."""
    code = 1
    try:
        os.setsid()
        _end_with(parent)
        for sig in _RESET_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True,
                                      errors="replace")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True,
                                      errors="replace")
        os.environ.clear()
        os.environ.update(env)
        _forget_the_worker(rt)
        from ..task_api.task_side import run_forked

        client = TaskApiClient(env[ADDRESS_ENV], env[TOKEN_ENV])
        code = run_forked(client, operator, context)
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


PARENT_POLL = 0.1  # seconds between a try's looks at whether its worker still lives


def _end_with(parent: int) -> None:
    """When the worker process dies (SIGKILL, out of memory), the try's whole process group
    goes too: the try was lost with its worker, is reaped as such and runs again, so it
    must not go on and finish a second time beside its redelivery."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="chordflow-parent-watch", daemon=True).start()


_INHERITED: list[Any] = []


def _forget_the_worker(rt: Any) -> None:
    """Put away what the child inherited of the worker: its store and settings become
    unreachable from the runtime, yet stay referenced, so the garbage collector never
    finalizes the parent's database connections (a finalized PostgreSQL connection tells
    the server goodbye, ending the parent's session); os._exit skips finalizers too. Locks
    another thread may have held at the fork are made anew."""
    from cluster.masking import MASKER

    MASKER._lock = threading.Lock()
    _INHERITED.append((rt.store, rt.settings))
    rt.store = None
    rt.settings = None


class _deadline:
    """SIGALRM-based timeout when on the main thread (prefork children); else none."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        if self.seconds and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True

    def _expired(self, *_: Any) -> None:
        raise TaskTimeout(f"execution_timeout of {self.seconds:g}s exceeded")

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
