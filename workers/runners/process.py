"""The process runner: each try in a fresh child process (embedded mode, tests), talking
to the task API like a container does.

The child is forked from the worker's template process (workers/runners/template.py), a
small interpreter started once per worker process with a clean environment
(workers/isolation.py), so a try costs the fork of a small process. It runs in a session
of its own, its stdout and stderr piped into the task log, and runs as a task container
does: its context, variables, connections and XComs come only through the task API with
its try's token. The worker waits with the try's deadline: an execution_timeout, a cancel,
clear or mark kills the child's whole process group (a BashOperator's children included),
under any worker pool, threads too. Operators that drive their own container or read the
store (DockerOperator, KubernetesPodOperator, ExternalTaskSensor) run in the worker itself
(`InWorkerRunner`).
"""
from __future__ import annotations

import io
import os
import signal
import threading
from typing import Any

from cluster.sdk import deferral
from cluster.sdk.context_var import use_context
from cluster.errors import AirflowException
from cluster.sdk.operators.virtualenv import VENV_CACHE_ENV

from workers.cancellation import TaskCancelled
from workers.isolation import task_environment
from workers.logs import TaskLogWriter, capture
from workers.task_api.protocol import ADDRESS_ENV, TOKEN_ENV
from workers.task_api.tries import conclude, granted, try_key
from workers.runners.template import Child, Template, TemplateLost, kill_group

KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL of a stopped try's process group


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
    """Runs each try in a fresh child of the worker's template; see the module docstring."""

    name = "process"
    isolated = False

    def __init__(self) -> None:
        self._in_worker = InWorkerRunner()
        self._template: Template | None = None
        self._lock = threading.Lock()

    def execute(self, operator: Any, context: dict[str, Any], log: TaskLogWriter,
                timeout: float | None) -> Any:
        if getattr(operator, "runs_own_container", False):
            return self._in_worker.execute(operator, context, log, timeout)
        from workers.runtime import runtime

        rt = runtime()
        api = rt.task_api
        address = api.unix_address()
        env = task_environment(rt.settings)
        with granted(api, rt.settings.dags_folder, context, timeout) as grant:
            env.update({ADDRESS_ENV: address, TOKEN_ENV: grant.token,
                        VENV_CACHE_ENV: str(rt.settings.home / "venvs")})
            child = self._start(rt, env, grant.context, log)
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
                child.drain()
            return conclude(grant, child.exit_code, "the task's process")

    def _start(self, rt: Any, env: dict[str, str], data: dict[str, Any],
               log: TaskLogWriter) -> "_Try":
        """Fork the try's child from this process's template (started, or started again
        after it ended, here), its output read into `log`."""
        read_fd, write_fd = os.pipe()
        try:
            child = self.template(rt.settings).fork(env, rt.settings.dags_folder, data, write_fd)
        except TemplateLost as exc:
            os.close(read_fd)
            raise AirflowException(f"the try's process could not start: {exc}") from None
        return _Try(child, read_fd, log)

    def template(self, settings: Any) -> Template:
        """This worker process's template (a pool process forked from another worker
        process starts its own)."""
        with self._lock:
            current = self._template
            if current is None or not current.alive or current.owner != os.getpid():
                current = self._template = Template(task_environment(settings))
            return current


class _Try:
    """One try's child as the runner handles it: wait, stop, its output into the log."""

    def __init__(self, child: Child, output: int, log: TaskLogWriter) -> None:
        self.child = child
        self.pid = child.pid
        self._reader = threading.Thread(target=_copy, args=(output, log), daemon=True,
                                        name=f"chordflow-try-output-{self.pid}")
        self._reader.start()

    @property
    def exit_code(self) -> int:
        return self.child.exit_code

    def wait(self, timeout: float | None) -> bool:
        """True when the child ended (by itself or stopped) within `timeout` seconds."""
        return self.child.ended.wait(timeout)

    def stop(self) -> None:
        """End the child's process group: SIGTERM, then SIGKILL after a grace period."""
        if self.child.ended.is_set():
            kill_group(self.pid, signal.SIGKILL)  # what the try left behind
            return
        kill_group(self.pid, signal.SIGTERM)
        if not self.child.ended.wait(KILL_GRACE):
            kill_group(self.pid, signal.SIGKILL)
            self.child.ended.wait()

    def drain(self) -> None:
        self._reader.join(10)


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
