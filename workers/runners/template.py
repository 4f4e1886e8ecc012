"""The process runner's template: a small process, started once per worker process, that
forks one fresh child per try, ahead of it.

Forking the worker itself for every try cost 15-40 ms: the page tables of a large process
are copied at the fork and torn down at the child's exit, and worker and child fault in
copied pages as they touch their memory. The template is a new interpreter with the clean
environment of workers/isolation.py; it imports only what a try needs (authoring, the task
side of the task API) and keeps the DAG files its tries use loaded, and it holds no store,
broker or secret. It never runs a try itself: each try is a child forked from it, used once
and gone, which runs as a task container does (`task_side.run_try`). The child is forked
before its try comes (a spare, set up while it waits) and says its exit status as soon as
the try is over: a hop between two tries waits for neither a fork nor an exit (measured on
a 200-task chain: 30 → 21 ms from one callable's end to the next one's start).

Protocol, over a SOCK_SEQPACKET socket pair (one JSON object per message):
  worker → template: {"id", "env", "dags_folder", "context"}, with the try's output pipe
  template → worker: {"id", "pid"} once handed to a child, then {"id", "exit"} once the
                     child said its status (or was reaped without a word);
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
import select
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
# templated fields, the IDNA codec of the first host name a task's client looks up: 2 ms
# in each child): imported once in the template rather than in every child.
WARM_IMPORTS = ("workers.task_api.task_side", "workers.task_api.client", "cluster.datetimes",
                "cluster.sdk.macros", "cluster.sdk.asset_events", "jinja2", "jinja2.nativetypes",
                "encodings.idna")
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
    """The template's loop: hand each request to a spare child, until the worker goes away.

    A spare is forked ahead of its try (after the previous one was handed over) and sets
    itself up while it waits, so a try starts without waiting for a fork; it is used once.
    A request for a DAG file the spare does not hold as the template now loads it (the
    file's first try, or a changed file) goes to a child forked for it."""
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

    spare: _Spare | None = None
    last: dict[str, Any] | None = None  # the request handed out last: the spare rehearses it
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
        stamp = files.load(folder, folder / request["dag_file"])
        request["loaded"] = stamp is not None
        if spare is not None and stamp is not None and stamp > spare.stamp:
            spare.discard()  # it holds an older copy of this file (or none)
            spare = None
        try:
            child = spare or _Spare.fork(sock, life, files, last)
        except OSError as exc:
            os.close(output)
            send({"id": request["id"], "error": f"cannot fork the try's process: {exc}"})
            continue
        spare = None
        child.hand(request, output)
        os.close(output)  # the next child must not hold this try's pipe
        send({"id": request["id"], "pid": child.pid})
        threading.Thread(target=child.wait_end, args=(request["id"], send), daemon=True).start()
        last = request
        try:
            spare = _Spare.fork(sock, life, files, last)
        except OSError:
            spare = None  # the next request forks its own
    os._exit(0)


class _Spare:
    """A forked child waiting for its one try on a socket of its own; the same socket
    brings back the try's exit status as soon as the try has ended and closed its output,
    before the process's own exit (the tearing down of its memory) is over."""

    def __init__(self, pid: int, control: socket.socket, stamp: int) -> None:
        self.pid, self.control, self.stamp = pid, control, stamp

    @classmethod
    def fork(cls, sock: socket.socket, life: int, files: "_DagFiles",
             last: dict[str, Any] | None = None) -> "_Spare":
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        gc.freeze()  # the child's collections skip the template's objects: no page copied
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            raise
        if pid == 0:
            ours.close()
            sock.close()
            _child_main(theirs, life, files, last)
        theirs.close()
        return cls(pid, ours, files.stamp)

    def hand(self, request: dict[str, Any], output: int) -> None:
        socket.send_fds(self.control, [json.dumps(request).encode()], [output])

    def wait_end(self, number: int, send: Any) -> None:
        """Report the try's exit status (its own word, else the reaped one); reap it. A
        process the try forked may hold the socket past the try's death: the exit is
        looked at every half second meanwhile."""
        said, reaped = b"", None
        while True:
            if select.select([self.control], [], [], 0.5)[0]:
                said = _read(self.control)
                break
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                reaped = os.waitstatus_to_exitcode(status)
                said = _read(self.control, block=False)
                break
        if said:
            send({"id": number, "exit": int(said)})
        if reaped is None:
            reaped = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        self.control.close()
        if not said:
            send({"id": number, "exit": reaped})

    def discard(self) -> None:
        self.control.close()  # it reads the end of its socket and exits
        threading.Thread(target=os.waitpid, args=(self.pid, 0), daemon=True).start()


def _read(control: socket.socket, block: bool = True) -> bytes:
    try:
        return control.recv(64, 0 if block else socket.MSG_DONTWAIT)
    except OSError:  # nothing said (BlockingIOError), or the socket is gone
        return b""


class _DagFiles:
    """DAG files loaded in the template, so each child starts with its DAG in memory; a
    file that fails to load here is loaded by the child, which reports the error. Each
    load is stamped, so a spare forked before it is known not to hold it."""

    def __init__(self) -> None:
        self._files: Lru[Path, tuple[float, int, list[Any]]] = Lru(256)
        self.stamp = 0

    def load(self, folder: Path, path: Path) -> int | None:
        """Load `path` unless loaded as it is now; the stamp of its load, None if it failed."""
        from cluster.control.loader import add_to_sys_path, load_dags_from_file

        try:
            mtime = path.stat().st_mtime
            cached = self._files.get(path)
            if cached is None or cached[0] != mtime:
                add_to_sys_path(folder)
                dags = load_dags_from_file(path)
                self.stamp += 1
                cached = (mtime, self.stamp, dags)
                self._files.put(path, cached)
            return cached[1]
        except BaseException:  # the child loads it again and reports the error
            self._files.pop(path)
            return None

    def loaded(self, path: Path) -> list[Any] | None:
        cached = self._files.get(path)
        return cached[2] if cached is not None else None


def _child_main(control: socket.socket, life: int, files: _DagFiles,
                last: dict[str, Any] | None) -> None:
    """A forked child: a session of its own, a clean environment; waits for its one try
    on `control`, runs it, says its exit status there, and exits. While it waits it sets
    up what every try needs (its output streams and their logging) and rehearses the try
    of `last`, the request its template handed out before it (`task_side.rehearse`)."""
    code = 1
    try:
        os.setsid()
        _end_with_worker(life)
        for sig in RESET_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        from workers.task_api.client import TaskApiClient
        from workers.task_api.task_side import prepare, rehearse, run_try

        # fds 1 and 2 are the try's output once it comes (dup2 below)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True,
                                      errors="replace")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True,
                                      errors="replace")
        prepare()
        if last is not None and last.get("loaded"):
            folder = Path(last["dags_folder"])
            rehearse(files.loaded(folder / last["dag_file"]), last["context"])
        raw, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE, 1)
        if not raw:
            os._exit(0)  # discarded, or the template ended
        request = json.loads(raw)
        output = fds[0]
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.environ.clear()
        os.environ.update(request["env"])
        folder = Path(request["dags_folder"])
        loaded = files.loaded(folder / request["dag_file"]) if request["loaded"] else None
        code = run_try(TaskApiClient.from_env(), folder, data=request["context"], loaded=loaded)
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            os.close(1)  # the try's output ends here: the worker's log reader is done
            os.close(2)
            control.send(str(code).encode())
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
