"""The task side of the task API: a small HTTP client over a Unix socket or TCP.

Standard library only: it runs inside task containers and pods, and in the worker's
child process, none of which may reach (or even import) the store.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from typing import Any, Mapping
from urllib.parse import urlsplit

from cluster.errors import AirflowException, ConfigError, NotFoundError

from workers.task_api.protocol import ADDRESS_ENV, API_PREFIX, TOKEN_ENV, Call, Status


class TaskApiError(AirflowException):
    """The task API refused or failed a call; the message says why."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class TaskApiClient:
    """Calls the task API as one try: `call(Call.X, **body)` returns the JSON answer.

    Parameters:
      address: `unix:///path/api.sock` or `http://host:port`.
      token: the try's bearer token.
      timeout: seconds one call may take (a 10 MB XCom included).
    """

    def __init__(self, address: str, token: str, timeout: float = 300.0) -> None:
        parts = urlsplit(address)
        if parts.scheme not in ("unix", "http") or not (parts.path or parts.netloc):
            raise ConfigError(f"{ADDRESS_ENV} must be unix:///PATH or http://HOST:PORT, "
                              f"not {address!r}")
        self.address, self._token, self._timeout = address, token, timeout
        self._parts = parts
        self._local = threading.local()
        self.round_trips = 0
        # what a task container prints once its try is over (the worker's, with the context)
        self.end_mark: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "TaskApiClient":
        env = os.environ if env is None else env
        address, token = env.get(ADDRESS_ENV), env.get(TOKEN_ENV)
        if not address or not token:
            raise ConfigError(f"no task API: {ADDRESS_ENV} and {TOKEN_ENV} must be set "
                              "(this runs inside a try started by a chordflow worker)")
        return cls(address, token)

    def use_token(self, token: str) -> None:
        """Call as the try `token` names from now on (a warm container's handed-over try)."""
        self._token = token

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._parts.scheme == "unix":
                conn = _UnixConnection(self._parts.path, self._timeout)
            else:
                conn = http.client.HTTPConnection(self._parts.hostname, self._parts.port,
                                                  timeout=self._timeout)
            self._local.conn = conn
        return conn

    def call(self, call: Call, **body: Any) -> Any:
        data = json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self._token}",
                   "Content-Type": "application/json", "Content-Length": str(len(data))}
        for attempt in (1, 2):  # a kept-alive connection the server closed: once more
            conn = self._connection()
            try:
                conn.request("POST", API_PREFIX + call.value, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError) as exc:
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise TaskApiError(f"task API unreachable at {self.address}: {exc}") from None
        self.round_trips += 1
        answer = json.loads(raw) if raw else {}
        if response.status == Status.OK:
            return answer
        message = f"task API {call.value}: {answer.get('error', response.reason)}"
        if response.status == Status.NOT_FOUND:
            raise NotFoundError(message)
        raise TaskApiError(message)
