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
from pathlib import Path


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
    """The given Redis, or one of our own; `own=True` always starts one (a test that
    kills and restarts it), with the append-only file when `appendonly`."""

    def __init__(self, own: bool = False, appendonly: bool = False) -> None:
        self.proc: subprocess.Popen | None = None
        self.dir: str | None = None
        self.appendonly = appendonly
        given = os.environ.get("CHORDFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379")
        if not own and given != "start" and reachable(*_host_port(given, 6379)):
            self.url = given.rstrip("/")
        else:
            self.port = free_port()
            self.dir = tempfile.mkdtemp(prefix="cf-redis-")
            self.url = self._start()

    def _start(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("no Redis server reachable and redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.appendonly else "no",
             "--appendfsync", "always", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)
        return f"redis://127.0.0.1:{self.port}"

    def kill(self, sig: int = 9) -> None:
        """Stop our server (SIGKILL: a crash; SIGTERM: a clean shutdown); the data stays."""
        assert self.proc, "only a server of our own can be stopped"
        self.proc.send_signal(sig)
        self.proc.wait(10)

    def start_again(self) -> None:
        """Start our server on the same port and directory (the AOF brings the data back)."""
        self._start()

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    """The given PostgreSQL, or a throwaway cluster; `own=True` always makes one (a test
    that restarts it)."""

    def __init__(self, own: bool = False) -> None:
        self.dir: str | None = None
        self.pg_ctl: str | None = None
        given = os.environ.get("CHORDFLOW_TEST_POSTGRES_URL",
                               "postgresql://postgres@127.0.0.1:5432/postgres")
        if not own and given != "start" and reachable(*_host_port(given, 5432)):
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

    def restart(self, mode: str = "immediate") -> None:
        """Stop our cluster (`immediate`: a crash, recovered from the WAL) and start it again."""
        assert self.pg_ctl, "only a server of our own can be restarted"
        subprocess.run(self._prefix + [self.pg_ctl, "-D", self._data, "-w", "-m", mode,
                                       "restart"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.dir and self.pg_ctl:
            subprocess.run(self._prefix + [self.pg_ctl, "-D", self._data, "-m", "immediate",
                                           "stop"], stdout=subprocess.DEVNULL)
            shutil.rmtree(self.dir, ignore_errors=True)


class SSHServer:
    """An OpenSSH server of our own on 127.0.0.1 (Debian's openssh-server), with SFTP,
    letting the current user in with a key made for it; missing() when there is no sshd."""

    SSHD = "/usr/sbin/sshd"

    def __init__(self, root: Path) -> None:
        if not os.path.exists(self.SSHD) or not shutil.which("ssh-keygen"):
            missing("no OpenSSH server (apt-get install openssh-server)")
        import getpass

        self.dir = Path(root)
        self.dir.mkdir(parents=True, exist_ok=True)
        for name in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            str(self.dir / name)], check=True)
        self.user = getpass.getuser()
        self.private_key = (self.dir / "client_key").read_text()
        self.host_key = (self.dir / "host_key.pub").read_text().strip()
        (self.dir / "authorized_keys").write_text((self.dir / "client_key.pub").read_text())
        self.port = free_port()
        sftp = next((p for p in ("/usr/lib/openssh/sftp-server", "/usr/libexec/sftp-server")
                     if os.path.exists(p)), "internal-sftp")
        (self.dir / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.dir / 'host_key'}\n"
            f"PidFile {self.dir / 'sshd.pid'}\nAuthorizedKeysFile {self.dir / 'authorized_keys'}\n"
            "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\nUsePAM no\n"
            f"Subsystem sftp {sftp}\n")
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privilege separation
        self.proc = subprocess.Popen([self.SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "sshd.log", "w"))
        try:
            _wait_port(self.port)
        except RuntimeError:
            self.stop()
            missing(f"sshd did not start: {(self.dir / 'sshd.log').read_text()[-500:]}")

    def extra(self) -> dict:
        """A chordflow/Airflow SSH connection's extra: the key and the host key to check."""
        return {"private_key": self.private_key, "host_key": self.host_key}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


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


def task_containers(engine, database_url: str, run_pk: int, task_id: str = "") -> list:
    """The task containers (running or not) of the run `run_pk` of the installation whose
    store is `database_url`, of `task_id` only when given: each is named after its try
    (workers/containers.py), warm containers too, which carry no try labels."""
    from workers.containers import cluster_label, listed

    prefix = f"chordflow-{cluster_label(database_url)[:8]}-r{run_pk}-{task_id}"
    return [c for c in listed(engine, {"name": prefix}) if c.name.startswith(prefix)]


def container_ids(engine) -> set[str]:
    """The ids of every container of the engine, running or not."""
    return {row["Id"] for row in engine.api.containers(all=True)}


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


def ok(done: subprocess.CompletedProcess) -> str:
    """The stdout of a command that must have succeeded (else its output in the failure)."""
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
