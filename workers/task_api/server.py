"""The task API's server: run by each worker process, answering the tries it runs.

HTTP/1.1 with JSON bodies, `POST /v1/<call>`, the try's token as a bearer token. It
listens on a Unix socket (the process runner's children and the docker runner's task
containers, which get the socket's directory mounted) and, when a pod runner asks, on a
TCP port of the worker's address (pods cannot reach a socket on the worker's node).
Everything a try reads or writes is scoped by its grant: its own run's XComs unless it
names another DAG and run, pushes under its own task id and map index only.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Callable

from cluster.sdk import secrets
from cluster.errors import AirflowNotFoundException, ChordflowError, NotFoundError
from cluster.store import Store
from cluster.store import xcoms as xcom_store

from workers.context import pull_xcoms

from workers.task_api.grants import Grant, Grants
from workers.task_api.protocol import API_PREFIX, Call, Signal, Status

log = logging.getLogger("chordflow.worker")
MAX_BODY = 64 * 1024 * 1024   # a 10 MB XCom fits with room; beyond this is refused
SOCKET_NAME = "api.sock"
STANDBY_WAIT = 20.0  # seconds a standby token's call waits before it is told to call again


class ApiRefusal(ChordflowError):
    """A call the API does not answer; carries its HTTP status."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status


class TaskApi:
    """The grants of this worker process and the servers that answer their calls.

    Parameters:
      store: the worker's store (XComs, other runs).
      socket_dir: where the Unix socket goes (a directory of this process's own).
    """

    def __init__(self, store: Store, socket_dir: str | None = None) -> None:
        self.store = store
        self.grants = Grants()
        base = Path(socket_dir or os.environ.get("CHORDFLOW_TASK_API_DIR")
                    or Path(tempfile.gettempdir()) / "chordflow-task-api")
        self.socket_dir = base / f"{socket.gethostname()}-{os.getpid()}"
        self._unix: socketserver.BaseServer | None = None
        self._tcp: HTTPServer | None = None
        self._lock = threading.Lock()
        self.handlers: dict[Call, Callable[[Grant, dict[str, Any]], Any]] = {
            Call.CONTEXT: self._context,
            Call.XCOM_PULL: self._xcom_pull,
            Call.XCOM_PUSH: self._xcom_push,
            Call.RESULT: self._result,
            Call.OUTLET_EVENTS: self._outlet_events,
            Call.SIGNAL: self._signal,
            Call.VARIABLE_GET: lambda g, body: {"value": secrets.get_variable(_text(body, "key"))},
            Call.VARIABLE_SET: self._variable_set,
            Call.CONNECTION_GET: self._connection_get,
        }

    # -- listening ------------------------------------------------------------------------
    @property
    def socket_path(self) -> Path:
        return self.socket_dir / SOCKET_NAME

    def unix_address(self) -> str:
        """`unix://PATH` of the socket, started on first use."""
        with self._lock:
            if self._unix is None:
                self.socket_dir.mkdir(parents=True, exist_ok=True)
                # Task containers run as another user: the token is the lock, not the mode.
                self.socket_dir.chmod(0o755)
                if self.socket_path.exists():
                    self.socket_path.unlink()
                self._unix = _UnixServer(str(self.socket_path), _handler(self))
                self.socket_path.chmod(0o666)
                _serve(self._unix, "chordflow-task-api-unix")
        return f"unix://{self.socket_path}"

    def tcp_address(self, host: str = "0.0.0.0", advertised: str | None = None) -> str:
        """`http://ADDRESS:PORT` of a TCP listener (a free port), started on first use."""
        with self._lock:
            if self._tcp is None:
                self._tcp = _TcpServer((host, 0), _handler(self))
                _serve(self._tcp, "chordflow-task-api-tcp")
        port = self._tcp.server_address[1]
        return f"http://{advertised or _own_address()}:{port}"

    def close(self) -> None:
        for server in (self._unix, self._tcp):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._unix = self._tcp = None

    # -- answering ---------------------------------------------------------------------------
    def answer(self, token: str, call: str, body: dict[str, Any]) -> Any:
        """The answer to one call, or ApiRefusal."""
        grant = self.grants.find(token)
        if grant is None:
            raise ApiRefusal(Status.UNAUTHORIZED, "unknown, revoked or expired task token")
        try:
            which = Call(call)
        except ValueError:
            raise ApiRefusal(Status.NOT_FOUND, f"no task API call {call!r}") from None
        handler = self.handlers[which]
        if grant.standby is not None and which is not Call.CONTEXT:
            raise ApiRefusal(Status.UNAUTHORIZED, "a standby token can only wait for its try")
        grant.calls += 1
        try:
            return handler(grant, body)
        except (NotFoundError, KeyError) as exc:
            raise ApiRefusal(Status.NOT_FOUND, str(exc).strip("'\"")) from None
        except (TypeError, ValueError) as exc:
            raise ApiRefusal(Status.BAD_REQUEST, str(exc)) from None

    def _context(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        """The try's context; a standby token's call waits for its try (up to STANDBY_WAIT
        seconds a call, then `{"standby": true}`: call again) and gets the try's token."""
        if grant.standby is None:
            return grant.context
        grant.waiting = True
        if not grant.standby.wait(STANDBY_WAIT):
            return {"standby": True}
        handed = grant.handed
        self.grants.revoke(grant.token)
        if handed is None:
            raise ApiRefusal(Status.UNAUTHORIZED, "the standby ended without a try")
        handed.calls += 1
        return {**handed.context, "token": handed.token}

    def _xcom_pull(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        own = (grant.run_pk, grant.context["dag_id"], grant.context["run_id"])
        task_ids = body.get("task_ids")
        if not isinstance(task_ids, list) or not all(isinstance(t, str) for t in task_ids):
            raise ValueError("xcom_pull needs task_ids: a list of task ids")
        map_index = body.get("map_index")
        if map_index is not None and (not isinstance(map_index, int) or map_index < 0):
            raise ValueError("xcom_pull's map_index must be a mapped index (an integer >= 0)")
        return {"values": pull_xcoms(self.store, own, task_ids, _text(body, "key"),
                                     body.get("dag_id"), body.get("run_id"), map_index)}

    def _xcom_push(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        if "value" not in body:
            raise ValueError("xcom_push needs a value")
        xcom_store.push_xcom(self.store, grant.run_pk, grant.task_id, _text(body, "key"),
                           json.dumps(body["value"]), grant.map_index)
        return {}

    def _result(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        grant.result, grant.has_result = body.get("value"), True
        return {}

    def _outlet_events(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("extras", {}), dict) or \
                not isinstance(body.get("aliases", []), list):
            raise ApiRefusal(Status.BAD_REQUEST, "outlet events: extras must be an object, "
                           "aliases a list")
        grant.outlet_events = {"extras": body.get("extras") or {},
                               "aliases": body.get("aliases") or []}
        return {}

    def _signal(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        grant.signal = Signal(body.get("kind"))
        grant.signal_message = str(body.get("message") or "")
        delay = body.get("retry_delay")
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float))
                                  or delay < 0):
            raise ApiRefusal(Status.BAD_REQUEST, "signal: retry_delay must be seconds")
        grant.retry_delay = None if delay is None else float(delay)
        return {}

    def _variable_set(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        secrets.backend().set_variable(_text(body, "key"), _text(body, "value"),
                                       body.get("description"))
        return {}

    def _connection_get(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        try:
            conn = secrets.get_connection(_text(body, "conn_id"))
        except AirflowNotFoundException as exc:
            raise NotFoundError(str(exc)) from None
        return conn.to_dict()


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _own_address() -> str:
    """The address others reach this worker at: POD_IP (downward API) or the hostname's."""
    return os.environ.get("POD_IP") or socket.gethostbyname(socket.gethostname())


def _serve(server: socketserver.BaseServer, name: str) -> None:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, name=name,
                     daemon=True).start()


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _TcpServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


def _handler(api: TaskApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive: a try reuses one connection

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._reply(Status.TOO_LARGE, {"error": f"request over {MAX_BODY} bytes"})
                self.close_connection = True
                return
            raw = self.rfile.read(length) if length else b"{}"
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            if not self.path.startswith(API_PREFIX):
                self._reply(Status.NOT_FOUND, {"error": f"no such path {self.path}"})
                return
            try:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                answer = api.answer(token, self.path[len(API_PREFIX):], body)
            except ApiRefusal as exc:
                self._reply(exc.status, {"error": str(exc)})
            except ValueError as exc:
                self._reply(Status.BAD_REQUEST, {"error": str(exc)})
            except Exception as exc:  # the store may be restarting; the try sees why
                log.warning("task API call %s failed", self.path, exc_info=True)
                self._reply(Status.ERROR, {"error": f"{type(exc).__name__}: {exc}"})
            else:
                self._reply(Status.OK, answer)

        def _reply(self, status: Status, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(int(status))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def address_string(self) -> str:
            return "task"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # tries' calls are not worth a worker log line each

    return Handler
