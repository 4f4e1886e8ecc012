"""The process runner's template: a small process, started once per worker process, that
forks one fresh child per try on request.

Forking the worker itself for every try cost 15-40 ms: the page tables of a large process
are copied at the fork and torn down at the child's exit, and worker and child fault in
copied pages as they touch their memory. The template is a new interpreter with the clean
environment of workers/isolation.py; it imports only what a try needs (authoring, the task
side of the task API) and keeps the DAG files its tries use loaded, and it holds no store,
broker or secret. It never runs a try itself: each try is a child forked from it, used once
and gone, which runs as a task container does (`task_side.run_try`).

Protocol, over a SOCK_SEQPACKET socket pair (one JSON object per message):
  worker → template: {"id", "env", "dags_folder", "context"}, with the try's output pipe
  template → worker: {"id", "pid"} once forked, then {"id", "exit"} once reaped;
                     {"id", "error"} when no child could be forked
The worker alone holds the write end of a pipe whose read end the template and every child
hold: when the worker process dies (SIGKILL, out of memory) the read ends, and each child
kills its process group, so a try lost with its worker never finishes beside its rerun.
"""
from __future__ import annotations

import gc
import importlib
import io
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from workers.caches import Lru

MAX_MESSAGE = 1 << 20
CONTEXT_INLINE = 64 * 1024  # a larger context is read by the try with the `context` call
RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGURG,
                 signal.SIGCHLD, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                 signal.SIGPIPE)
# What a try imports on first use (its context's dates and macros, asset events, Jinja for
# templated fields): imported once in the template rather than in every child.
WARM_IMPORTS = ("workers.task_api.task_side", "workers.task_api.client", "cluster.datetimes",
                "cluster.sdk.macros", "cluster.sdk.asset_events", "jinja2", "jinja2.nativetypes")
_BOOT = ("import json, socket, sys; s = socket.socket(fileno=int(sys.argv[1])); "
         "sys.path[:] = json.loads(s.recv(1 << 20)); "
         "from workers.runners.template import serve; serve(s, int(sys.argv[2]))")


class TemplateLost(RuntimeError):
    """The template process ended or refused to fork: the try could not start."""


class Child:
    """A try's process as the worker sees it: pid (its own process group), exit code."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.exit_code = -1
        self.error: str | None = None
        self.started = threading.Event()
        self.ended = threading.Event()


class Template:
    """The worker's handle on its template process (see the module docstring).

    Parameters:
      env: the template's environment, the clean one every try starts from.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.owner = os.getpid()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        life_read, self._life = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(theirs.fileno()), str(life_read)],
                env=env, pass_fds=(theirs.fileno(), life_read), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, start_new_session=True)
        finally:
            theirs.close()
            os.close(life_read)
        self._sock = ours
        self._sock.send(json.dumps(sys.path).encode())
        self._ids = itertools.count(1)
        self._children: dict[int, Child] = {}
        self._lock = threading.Lock()
        self.alive = True
        threading.Thread(target=self._listen, name="chordflow-try-template", daemon=True).start()

    def fork(self, env: dict[str, str], dags_folder: Path, context: dict[str, Any],
             output: int) -> Child:
        """A fresh child running the try whose grant `env` carries, its stdout and stderr
        on the pipe end `output` (closed here); TemplateLost if none could start."""
        child = Child()
        inline = json.dumps(context)
        request = {"env": env, "dags_folder": str(dags_folder),
                   "context": context if len(inline) <= CONTEXT_INLINE else None,
                   "dag_file": context["dag_file"]}
        try:
            with self._lock:
                if not self.alive:
                    raise TemplateLost("the process runner's template process has ended")
                request["id"] = number = next(self._ids)
                self._children[number] = child
                socket.send_fds(self._sock, [json.dumps(request).encode()], [output])
        except OSError as exc:
            raise TemplateLost(f"the process runner's template process is gone: {exc}") from None
        finally:
            os.close(output)
        child.started.wait()
        if child.pid is None:
            raise TemplateLost(child.error or "the try's process did not start")
        return child

    def _listen(self) -> None:
        while True:
            try:
                raw = self._sock.recv(MAX_MESSAGE)
            except OSError:
                raw = b""
            if not raw:
                break
            message = json.loads(raw)
            with self._lock:
                child = self._children.get(message["id"])
                if child is None:
                    continue
                if "pid" in message:
                    child.pid = message["pid"]
                    child.started.set()
                    continue
                del self._children[message["id"]]
            child.exit_code = message.get("exit", -1)
            child.error = message.get("error")
            child.started.set()
            child.ended.set()
        self._lost()

    def _lost(self) -> None:
        """The template ended: the tries it forked are stopped and end as killed."""
        with self._lock:
            self.alive = False
            children, self._children = list(self._children.values()), {}
        for child in children:
            if child.pid is not None:
                kill_group(child.pid, signal.SIGKILL)
            child.exit_code = -signal.SIGKILL
            child.error = child.error or "the process runner's template process ended"
            child.started.set()
            child.ended.set()

    def close(self) -> None:
        """End the template (its children end with the worker's life pipe, or by then)."""
        self._sock.close()
        os.close(self._life)
        self.proc.wait()


def kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -- inside the template process ----------------------------------------------------------

def serve(sock: socket.socket, life: int) -> None:
    """The template's loop: fork a child per request until the worker goes away."""
    for name in WARM_IMPORTS:
        importlib.import_module(name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the worker's
    files = _DagFiles()
    send_lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        with send_lock:
            try:
                sock.send(json.dumps(message).encode())
            except OSError:
                pass

    def reap(number: int, pid: int) -> None:
        _, status = os.waitpid(pid, 0)
        send({"id": number, "exit": os.waitstatus_to_exitcode(status)})

    while True:
        try:
            raw, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 1)
        except OSError:
            break
        if not raw:
            break  # the worker process ended
        request = json.loads(raw)
        output = fds[0]
        folder = Path(request["dags_folder"])
        loaded = files.get(folder, folder / request["dag_file"])
        gc.freeze()  # the child's collections skip the template's objects: no page copied
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(output)
            send({"id": request["id"], "error": f"cannot fork the try's process: {exc}"})
            continue
        if pid == 0:
            _child_main(sock, life, output, request, loaded)
        os.close(output)  # the next child must not hold this try's pipe
        send({"id": request["id"], "pid": pid})
        threading.Thread(target=reap, args=(request["id"], pid), daemon=True).start()
    os._exit(0)


class _DagFiles:
    """DAG files loaded in the template, so each child starts with its DAG in memory; a
    file that fails to load here is loaded by the child, which reports the error."""

    def __init__(self) -> None:
        self._files: Lru[Path, tuple[float, list[Any]]] = Lru(256)

    def get(self, folder: Path, path: Path) -> list[Any] | None:
        from cluster.control.loader import add_to_sys_path, load_dags_from_file

        try:
            mtime = path.stat().st_mtime
            cached = self._files.get(path)
            if cached is None or cached[0] != mtime:
                add_to_sys_path(folder)
                cached = (mtime, load_dags_from_file(path))
                self._files.put(path, cached)
            return cached[1]
        except BaseException:  # the child loads it again and reports the error
            self._files.pop(path)
            return None


def _child_main(sock: socket.socket, life: int, output: int, request: dict[str, Any],
                loaded: list[Any] | None) -> None:
    """A forked child: a session of its own, a clean environment, one try; exits."""
    code = 1
    try:
        os.setsid()
        sock.close()
        _end_with_worker(life)
        for sig in RESET_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True,
                                      errors="replace")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True,
                                      errors="replace")
        os.environ.clear()
        os.environ.update(request["env"])
        from workers.task_api.client import TaskApiClient
        from workers.task_api.task_side import run_try

        code = run_try(TaskApiClient.from_env(), Path(request["dags_folder"]),
                       data=request["context"], loaded=loaded)
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


def _end_with_worker(life: int) -> None:
    """When the worker process dies, the read of the life pipe ends (nothing is ever
    written to it), and the try's whole process group goes too."""
    def watch() -> None:
        while True:
            try:
                if not os.read(life, 1):
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="chordflow-worker-watch", daemon=True).start()
