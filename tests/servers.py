"""Real Redis and PostgreSQL for the tests: the ones given by URL, or throwaway ones.

`CHORDFLOW_TEST_REDIS_URL` / `CHORDFLOW_TEST_POSTGRES_URL` name servers to use
(defaults: the usual local ports). Set either to `start` to get a private server
started from the installed binaries in a temporary directory. When the default
server is not there, one is started too. With `CI=true` a server that can be neither
reached nor started is a failure, never a skip.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip on a laptop; fail in CI (no silent skips there)."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: required)", pytrace=False)
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class RedisServer:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.dir: str | None = None
        given = os.environ.get("CHORDFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379")
        if given != "start" and reachable(*_host_port(given, 6379)):
            self.url = given.rstrip("/")
        else:
            self.url = self._start()

    def _start(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("no Redis server reachable and redis-server is not installed")
        port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cf-redis-")
        self.proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(port)
        return f"redis://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    def __init__(self) -> None:
        self.dir: str | None = None
        self.pg_ctl: str | None = None
        given = os.environ.get("CHORDFLOW_TEST_POSTGRES_URL",
                               "postgresql://postgres@127.0.0.1:5432/postgres")
        if given != "start" and reachable(*_host_port(given, 5432)):
            self.admin_url = given
        else:
            self.admin_url = self._start()

    def _start(self) -> str:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        initdb = shutil.which("initdb") or (bins and os.path.join(bins[-1], "initdb"))
        if not initdb or not os.path.exists(initdb):
            missing("no PostgreSQL reachable and its server binaries are not installed")
        bindir = os.path.dirname(initdb)
        self.pg_ctl = os.path.join(bindir, "pg_ctl")
        port = free_port()
        self.dir = tempfile.mkdtemp(prefix="cf-pg-")
        os.chmod(self.dir, 0o777)
        data = os.path.join(self.dir, "data")
        # initdb refuses to run as root; the postgres user owns the throwaway cluster.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + [initdb, "-D", data, "-U", "postgres", "-A", "trust"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(prefix + [self.pg_ctl, "-D", data, "-w", "-l",
                                 os.path.join(self.dir, "log"), "-o",
                                 f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1",
                                 "start"], check=True, stdout=subprocess.DEVNULL)
        self._prefix = prefix
        self._data = data
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def create_database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, name: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.admin_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    def stop(self) -> None:
        if self.dir and self.pg_ctl:
            subprocess.run(self._prefix + [self.pg_ctl, "-D", self._data, "-m", "immediate",
                                           "stop"], stdout=subprocess.DEVNULL)
            shutil.rmtree(self.dir, ignore_errors=True)


def _host_port(url: str, default: int) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not reachable("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.05)


def wait_for(condition, timeout: float = 30, interval: float = 0.05, what: str = "condition"):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)



def docker_client(images=()):
    """A client of a running Docker engine that has `images`; missing() otherwise."""
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:
        missing(f"no Docker engine: {exc}")
    for image in images:
        try:
            client.images.get(image)
        except Exception:
            missing(f"image {image} is not built (bash images/build.sh)")
    return client


def http_status(url, auth=None):
    """The HTTP status of GET `url` (None when nothing answers); `auth` is "user:password"."""
    import base64
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def http_json(url, auth, method="GET"):
    import base64
    import json
    import urllib.request

    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None
