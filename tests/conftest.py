"""Fixtures: real Redis, real PostgreSQL, real `chordflow worker` and `scheduler` processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.servers import PostgresServer, RedisServer, docker_client, wait_for

ROOT = Path(__file__).resolve().parent.parent
TEST_DAGS = Path(__file__).parent / "dags"
# The tests' own Redis database, flushed per cluster; chosen per test process so two
# suites running side by side on one machine do not flush each other's queues, and one
# per pytest-xdist worker (gw0, gw1, ...: the suite runs its modules on two at once).
# A base past 14 names a database Redis does not have: its connection says so.
REDIS_DB = (int(os.environ.get("CHORDFLOW_TEST_REDIS_DB", 8 + os.getpid() % 3 * 2))
            + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")))
# The task runtime image the docker-runner tests use: a checkout that changes what runs
# inside task containers builds its own tag (IMAGE_TAG=x bash images/build.sh runtime)
# and sets CHORDFLOW_TEST_IMAGE_TAG=x, so checkouts sharing one engine do not clash.
RUNTIME_IMAGE = "chordflow/runtime:" + os.environ.get("CHORDFLOW_TEST_IMAGE_TAG", "latest")


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    yield server
    server.stop()


class Proc:
    """A chordflow process started for a test, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self.fh = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cluster.cli", *args], env=env, cwd=ROOT,
            stdout=self.fh, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, marker: str, timeout: float = 60) -> "Proc":
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"process exited early:\n{self.output[-3000:]}")
            return marker in self.output

        wait_for(ready, timeout, what=f"{marker!r} in {self.log_path.name}")
        return self

    def kill(self, sig: int = signal.SIGKILL, wait: float = 60) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(wait)
        self.fh.close()

    def stop(self) -> None:
        """SIGTERM to the process group; SIGKILL when it has not ended 30 s later."""
        if self.proc.poll() is None:
            try:
                self.kill(signal.SIGTERM, wait=30)
            except subprocess.TimeoutExpired:
                self.kill()


class ClusterUnderTest:
    """A database of its own, the tests' Redis database, and helpers to start processes."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.procs: list[Proc] = []
        self._n = 0

    def start(self, *args: str, marker: str | None = None, **extra_env: str) -> Proc:
        self._n += 1
        env = {**self.env, **extra_env}
        proc = Proc(list(args), env, self.tmp / f"{args[0]}-{self._n}.log")
        self.procs.append(proc)
        if marker:
            proc.wait_ready(marker)
        return proc

    def worker(self, concurrency: int = 2, name: str | None = None, **extra_env: str) -> Proc:
        name = name or f"w{self._n + 1}-{uuid.uuid4().hex[:6]}"
        return self.start("worker", "-c", str(concurrency), "-n", f"{name}@%h",
                          marker="ready.", **extra_env)

    def scheduler(self, **extra_env: str) -> Proc:
        return self.start("scheduler", marker="scheduler started", **extra_env)

    def with_docker_runner(self, concurrency: int) -> "ClusterUnderTest":
        """A scheduler and a worker whose tries run in task containers (the cluster's
        default runner); needs the runtime image (missing: a skip, or a failure in CI)."""
        docker_client([RUNTIME_IMAGE])
        self.scheduler()
        self.worker(concurrency=concurrency, name="docker", CHORDFLOW_RUNNER="docker")
        return self

    def cli(self, *args: str, timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cluster.cli", *args],
                              env={**self.env, **extra_env}, cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)

    def cluster(self):
        from cluster.config import Settings
        from cluster.control.services import Cluster

        return Cluster.open(Settings.from_env(self.env))

    def run_dag(self, dag_id: str, *extra: str, timeout: float = 120):
        """`trigger DAG --wait` (plus `extra`): the CLI's result, the finished run, its task
        instances by task id and its XComs by (task id, key)."""
        from cluster.control import services
        from cluster.store import xcoms as xcom_store

        done = self.cli("trigger", dag_id, "--wait", *extra, timeout=timeout)
        handle = self.cluster()
        try:
            runs = services.list_runs(handle, dag_id, limit=1)
            assert runs, f"no run of {dag_id}: {done.stdout}{done.stderr}"
            run = runs[0]
            run, tis = services.run_details(handle, run.id)
            xcoms = {(t, k): v for t, _, k, v in xcom_store.run_xcoms(handle.store, run.id)}
        finally:
            handle.close()
        return done, run, {t.task_id: t for t in tis}, xcoms

    def stop(self) -> None:
        """Stop every process, even when one of them will not stop (that one fails the
        teardown after the rest are gone: a leftover worker would eat later tests' messages)."""
        errors = []
        for proc in reversed(self.procs):
            try:
                proc.stop()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


def base_env(tmp: Path, database_url: str, broker_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({
        "CHORDFLOW_HOME": str(tmp / "home"),
        "CHORDFLOW_DATABASE_URL": database_url,
        "CHORDFLOW_DAGS_FOLDER": str(TEST_DAGS),
        "CHORDFLOW_RUNNER": "process",
        "CHORDFLOW_SCHEDULER_INTERVAL": "0.2",
        "CHORDFLOW_DAG_DIR_LIST_INTERVAL": "5",
        "CHORDFLOW_HEARTBEAT_INTERVAL": "0.5",
        "CHORDFLOW_ZOMBIE_THRESHOLD": "4",
        "CHORDFLOW_QUEUED_TIMEOUT": "10",
        "CHORDFLOW_TEST_OUT": str(tmp / "out"),
        # The process runner's tries start from a clean environment: the test DAGs' own
        # variables are passed on by name.
        "CHORDFLOW_PROCESS_TASK_ENV": "CHORDFLOW_TEST_OUT,CHORDFLOW_EXAMPLE_OUT",
        "CHORDFLOW_RUNTIME_IMAGE": RUNTIME_IMAGE,
        "PYTHONPATH": str(ROOT),
    })
    if broker_url:
        env["CHORDFLOW_BROKER_URL"] = broker_url
    (tmp / "out").mkdir(exist_ok=True)
    return env


@pytest.fixture(scope="module")
def cluster_env(request, redis_server, postgres_server, tmp_path_factory):
    """A fresh PostgreSQL database with the schema, a flushed Redis database; no processes."""
    import redis

    name = "cf_test_" + uuid.uuid4().hex[:10]
    url = postgres_server.create_database(name)
    broker = f"{redis_server.url}/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    env = base_env(tmp, url, broker)
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "db", "upgrade"], env=env,
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    under_test = ClusterUnderTest(env, tmp)
    yield under_test
    under_test.stop()
    postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def running_cluster(cluster_env):
    """cluster_env plus a scheduler and one worker of concurrency 4."""
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


# -- the Reliability table (tests/reliability.py) -------------------------------------------
_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report):
    if not os.environ.get("CHORDFLOW_RELIABILITY_REPORT"):
        return
    from tests.reliability import row_of

    if row_of(report.nodeid) and (report.when == "call" or report.outcome != "passed"):
        _outcomes[report.nodeid] = report.outcome if report.outcome != "skipped" else "skipped"


def pytest_sessionfinish(session):
    path = os.environ.get("CHORDFLOW_RELIABILITY_REPORT")
    # under pytest-xdist the controller sees every worker's reports: it alone writes
    if path and _outcomes and not hasattr(session.config, "workerinput"):
        import json

        Path(path).write_text(json.dumps(_outcomes, indent=1, sort_keys=True))
