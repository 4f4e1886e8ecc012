"""A real `chordflow webserver` process on the test cluster, and a small HTTP client."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.servers import free_port, http_status, wait_for

USER, PASSWORD = "admin", "web-pass-1"


class Http:
    """JSON over HTTP with a bearer token, basic auth, or nothing."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None,
             raw: bool = False) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode()
        if raw:
            return status, text
        return status, json.loads(text) if text else None

    def get(self, path: str, **kw: Any) -> Any:
        status, body = self.call("GET", path, **kw)
        assert status == 200, (path, status, body)
        return body


def start_webserver(cluster_env, **extra_env: str) -> str:
    port = free_port()
    cluster_env.start("webserver", "--port", str(port), "--hostname", "127.0.0.1",
                      CHORDFLOW_WEBSERVER_ADMIN_USER=USER,
                      CHORDFLOW_WEBSERVER_ADMIN_PASSWORD=PASSWORD,
                      CHORDFLOW_WEBSERVER_SECRET_KEY="test-signing-key",
                      CHORDFLOW_WEBSERVER_FLOWER_URL="http://flower.invalid:5555", **extra_env)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_status(url + "/api/v2/monitor/health") == 200, 60,
             what="the web server to answer")
    return url


def login(url: str) -> Http:
    status, body = Http(url).call("POST", "/auth/token",
                                  {"username": USER, "password": PASSWORD})
    assert status == 201, body
    return Http(url, body["access_token"])


@pytest.fixture(scope="module")
def webserver(running_cluster) -> str:
    done = running_cluster.cli("dags", "reserialize")
    assert done.returncode == 0, done.stderr
    return start_webserver(running_cluster)
