"""The main faults once more at the default queued and zombie timeouts (the other fault
tests tune them to seconds), each reporting its recovery time: from the fault to the
moment the work it hit has run again (or, for the server restarts, to the run's end).

Owns its Redis (append-only) and PostgreSQL, as it kills them.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest
import redis as redis_lib

from cluster.config import Settings
from tests.conftest import ROOT, ClusterUnderTest, base_env
from tests.integration.test_faults import assert_ran_once, finished, started, trigger
from tests.reliability import record_recovery
from tests.servers import PostgresServer, RedisServer, wait_for

pytestmark = pytest.mark.faults
TUNED = ("CHORDFLOW_QUEUED_TIMEOUT", "CHORDFLOW_ZOMBIE_THRESHOLD", "CHORDFLOW_HEARTBEAT_INTERVAL")
# The defaults the recovery times are measured at.
LIMIT = Settings.queued_timeout + Settings.zombie_threshold + 60


@pytest.fixture(scope="module")
def own_servers():
    redis_server = RedisServer(own=True, appendonly=True)
    postgres = PostgresServer(own=True)
    yield redis_server, postgres
    redis_server.stop()
    postgres.stop()


@pytest.fixture
def cluster(own_servers, tmp_path):
    redis_server, postgres = own_servers
    url = postgres.create_database("cf_defaults_" + uuid.uuid4().hex[:8])
    env = {k: v for k, v in base_env(tmp_path, url, f"{redis_server.url}/0").items()
           if k not in TUNED}
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "db", "upgrade"], env=env,
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    under_test = ClusterUnderTest(env, tmp_path)
    yield under_test
    under_test.stop()


def _start_count(cluster, task_id: str, tried: int) -> bool:
    path = cluster.tmp / "out" / "faults.txt"
    return path.exists() and f"start {task_id} try={tried}" in path.read_text()


def test_worker_sigkilled_at_defaults(cluster):
    cluster.scheduler()
    victim = cluster.worker(concurrency=2, name="victim")
    run_pk = trigger(cluster, conf='{"seconds": 3}')
    wait_for(lambda: started(cluster, "b"), 60, what="task b to start")
    victim.kill(signal.SIGKILL)
    fault = time.monotonic()
    cluster.worker(concurrency=2, name="rescuer")
    wait_for(lambda: _start_count(cluster, "b", 2), LIMIT, interval=0.2,
             what="task b to run again")
    record_recovery("Worker SIGKILLed mid-task", time.monotonic() - fault)
    run, tis = finished(cluster, run_pk, LIMIT)
    assert run.state == "success", [(t.task_id, t.state) for t in tis]


def test_lost_message_at_defaults(cluster):
    scheduler = cluster.scheduler()
    client = redis_lib.Redis.from_url(cluster.env["CHORDFLOW_BROKER_URL"])
    run_pk = trigger(cluster)
    wait_for(lambda: client.llen("celery") == 1, 60, what="the run's first message")
    client.delete("celery")
    fault = time.monotonic()
    cluster.worker(concurrency=2)
    wait_for(lambda: started(cluster, "a"), LIMIT, interval=0.2, what="task a to be resent")
    record_recovery("Message deleted from the Redis queue", time.monotonic() - fault)
    assert_ran_once(cluster, run_pk)
    assert "sending it again" in scheduler.output


def test_redis_restart_at_defaults(cluster, own_servers):
    redis_server, _ = own_servers
    cluster.scheduler()
    cluster.worker(concurrency=4)
    run_pk = trigger(cluster)
    wait_for(lambda: started(cluster, "b"), 60, what="task b to start")
    fault = time.monotonic()
    redis_server.kill(signal.SIGKILL)
    redis_server.start_again()
    wait_for(lambda: started(cluster, "c0"), LIMIT, interval=0.2, what="the chord to start")
    record_recovery("Redis crashed and restarted mid-run (AOF)", time.monotonic() - fault)
    assert_ran_once(cluster, run_pk)


def test_postgres_restart_at_defaults(cluster, own_servers):
    _, postgres = own_servers
    cluster.scheduler()
    cluster.worker(concurrency=4)
    run_pk = trigger(cluster)
    wait_for(lambda: started(cluster, "b"), 60, what="task b to start")
    fault = time.monotonic()
    postgres.restart("immediate")
    wait_for(lambda: started(cluster, "c0"), LIMIT, interval=0.2, what="the chord to start")
    record_recovery("PostgreSQL crashed and restarted mid-run", time.monotonic() - fault)
    assert_ran_once(cluster, run_pk)
