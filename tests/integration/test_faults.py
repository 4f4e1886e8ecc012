"""Faults injected into a real cluster: Redis, PostgreSQL, the scheduler and workers die or
restart mid-run. Each time the run still ends correctly, no task instance is recorded
succeeded twice, and no task's side effect happens twice after it succeeded.

These tests own their Redis (append-only file on) and PostgreSQL, started for the module,
because they kill them.
"""
from __future__ import annotations

import collections
import re
import signal
import time
import uuid

import pytest

from cluster.control import services
from tests.conftest import ClusterUnderTest, base_env
from tests.servers import PostgresServer, RedisServer, wait_for

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def own_servers():
    redis_server = RedisServer(own=True, appendonly=True)
    postgres = PostgresServer(own=True)
    yield redis_server, postgres
    redis_server.stop()
    postgres.stop()


@pytest.fixture
def cluster(own_servers, tmp_path):
    import subprocess
    import sys

    redis_server, postgres = own_servers
    url = postgres.create_database("cf_faults_" + uuid.uuid4().hex[:8])
    env = base_env(tmp_path, url, f"{redis_server.url}/0")
    env["CHORDFLOW_QUEUED_TIMEOUT"] = "5"
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "db", "upgrade"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    under_test = ClusterUnderTest(env, tmp_path)
    yield under_test
    under_test.stop()


def marks(cluster: ClusterUnderTest) -> list[tuple[str, str, int]]:
    path = cluster.tmp / "out" / "faults.txt"
    found = []
    for line in path.read_text().splitlines() if path.exists() else []:
        kind, task, tried = re.match(r"(\w+) (\w+) try=(\d+)", line).groups()
        found.append((kind, task, int(tried)))
    return found


def started(cluster: ClusterUnderTest, task_id: str) -> bool:
    return any(kind == "start" and task == task_id for kind, task, _ in marks(cluster))


def trigger(cluster: ClusterUnderTest, dag_id: str = "t_faults", conf: str = "{}") -> int:
    done = cluster.cli("trigger", dag_id, "--conf", conf)
    assert done.returncode == 0, done.stdout + done.stderr
    return int(re.search(r"run (\d+)", done.stdout).group(1))


def finished(cluster: ClusterUnderTest, run_pk: int, timeout: float = 120):
    def ended():
        handle = cluster.cluster()
        try:
            run, tis = services.run_details(handle, run_pk)
        except Exception:  # a server may still be coming back
            return None
        finally:
            handle.close()
        return (run, tis) if run.state in ("success", "failed") else None

    return wait_for(ended, timeout, interval=0.5, what=f"run {run_pk} to end")


def assert_ran_once(cluster: ClusterUnderTest, run_pk: int) -> None:
    """Success, and each task's side effect completed exactly once."""
    run, tis = finished(cluster, run_pk)
    assert run.state == "success", [(t.task_id, t.state, t.error) for t in tis]
    assert all(t.state == "success" for t in tis)
    done = collections.Counter(task for kind, task, _ in marks(cluster) if kind == "done")
    assert done == {t.task_id: 1 for t in tis}, done


def run_until(cluster: ClusterUnderTest, task_id: str) -> int:
    """A scheduler, a worker and a run of t_faults, once `task_id` has started."""
    cluster.scheduler()
    cluster.worker(concurrency=4)
    run_pk = trigger(cluster)
    wait_for(lambda: started(cluster, task_id), 60, what=f"task {task_id} to start")
    return run_pk


def test_redis_crashes_and_restarts_mid_run(cluster, own_servers):
    redis_server, _ = own_servers
    run_pk = run_until(cluster, "b")
    redis_server.kill(signal.SIGKILL)
    redis_server.start_again()
    assert_ran_once(cluster, run_pk)


def test_redis_unreachable_for_ten_seconds(cluster, own_servers):
    redis_server, _ = own_servers
    run_pk = run_until(cluster, "a")
    redis_server.kill(signal.SIGTERM)
    time.sleep(10)
    redis_server.start_again()
    assert_ran_once(cluster, run_pk)


def test_postgres_crashes_and_restarts_mid_run(cluster, own_servers):
    _, postgres = own_servers
    run_pk = run_until(cluster, "b")
    postgres.restart("immediate")
    assert_ran_once(cluster, run_pk)


def test_scheduler_sigkilled_and_restarted_mid_run(cluster):
    scheduler = cluster.scheduler()
    cluster.worker(concurrency=4)
    run_pk = trigger(cluster)
    wait_for(lambda: started(cluster, "c0"), 60, what="the fan-out to start")
    scheduler.kill(signal.SIGKILL)
    cluster.scheduler()
    assert_ran_once(cluster, run_pk)
    handle = cluster.cluster()
    assert len(services.list_runs(handle, "t_faults")) == 1
    handle.close()


def test_worker_sigkilled_mid_chord_header(cluster):
    cluster.scheduler()
    worker = cluster.worker(concurrency=4)
    # each header task runs 6 s: the kill, once two have started, falls inside all of
    # them (with 2 s, one that started early ended right at the kill on a slow machine:
    # its code was done, its success not yet stored, so it ran again)
    run_pk = trigger(cluster, conf='{"seconds": 6}')
    wait_for(lambda: sum(started(cluster, f"c{i}") for i in range(4)) >= 2, 90,
             what="the chord header to run")
    worker.kill(signal.SIGKILL)
    cluster.worker(concurrency=4)
    run, tis = finished(cluster, run_pk, timeout=180)
    assert run.state == "success", [(t.task_id, t.state, t.error) for t in tis]
    # The header tasks that were cut off ran again (try 2); none completed twice.
    done = collections.Counter(task for kind, task, _ in marks(cluster) if kind == "done")
    assert done == {t.task_id: 1 for t in tis}, done
    assert any(t.try_number == 2 for t in tis if t.task_id.startswith("c"))


def test_a_500_task_chord_with_a_failing_header_task_still_runs_its_callbacks(cluster):
    cluster.scheduler()
    cluster.worker(concurrency=4)
    run_pk = trigger(cluster, "t_big_chord")
    run, tis = finished(cluster, run_pk, timeout=300)
    states = {t.task_id: t.state for t in tis}
    assert states["w137"] == "failed"
    assert collections.Counter(s for k, s in states.items() if k.startswith("w")) == {
        "success": 499, "failed": 1}
    assert states["after"] == "success"            # all_done: runs anyway
    assert states["strict"] == "upstream_failed"   # all_success: does not
    assert run.state == "failed"


GOOD_DAG = '''
import datetime as dt
from cluster import DAG, PythonOperator
with DAG("steady", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), schedule=None):
    PythonOperator(task_id="one", python_callable=lambda: 1) >> PythonOperator(
        task_id="two", python_callable=lambda: 2)
'''
BAD_DAGS = {  # each mentions "airflow" and "dag", as files must to be parsed at all (safe mode)
    "hangs_dag.py": "# airflow dag\nimport time\ntime.sleep(3600)\n",
    "allocates_dag.py": "# airflow dag\nblocks = []\nwhile True:\n"
                        "    blocks.append(bytearray(2**26))\n",
    "syntax_dag.py": "from cluster import DAG\ndag = DAG('x'\n",
    "crashes_dag.py": "# airflow dag\nimport os\nos._exit(1)\n",
}


def test_bad_files_and_a_vanishing_folder_do_not_stop_the_good_dag(cluster, tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "steady_dag.py").write_text(GOOD_DAG)
    for name, source in BAD_DAGS.items():
        (folder / name).write_text(source)
    settings = {"CHORDFLOW_DAGS_FOLDER": str(folder), "CHORDFLOW_DAG_DIR_LIST_INTERVAL": "1",
                "CHORDFLOW_DAG_FILE_PROCESSOR_TIMEOUT": "2",
                "CHORDFLOW_DAG_FILE_MEMORY_LIMIT_MB": "512"}
    cluster.env.update(settings)
    scheduler = cluster.scheduler()
    cluster.worker(concurrency=2)
    for _ in range(2):
        done = cluster.cli("trigger", "steady", "--wait")
        assert done.returncode == 0, done.stdout + done.stderr
    errors = cluster.cli("dags", "errors").stdout
    assert all(name in errors for name in BAD_DAGS), errors
    assert "took longer than 2s" in errors and "MemoryError" in errors

    moved = tmp_path / "moved"
    folder.rename(moved)
    wait_for(lambda: "cannot parse the DAGs folder" in scheduler.output, 30,
             what="the scheduler to notice the folder is gone")
    time.sleep(3)
    assert scheduler.proc.poll() is None, "the scheduler stopped"
    moved.rename(folder)
    done = cluster.cli("trigger", "steady", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert scheduler.proc.poll() is None
    listed = cluster.cli("dags", "list").stdout
    assert "steady" in listed


def slow_marks(cluster: ClusterUnderTest) -> list[str]:
    path = cluster.tmp / "out" / "slow.txt"
    return [line.rsplit(" ", 1)[0] for line in path.read_text().splitlines()] if path.exists() else []


def test_a_task_longer_than_the_visibility_timeout_runs_once(cluster):
    """Redis hands an unacked message to another worker once the visibility timeout has
    passed; the second delivery must find the try running and do nothing."""
    cluster.env["CHORDFLOW_VISIBILITY_TIMEOUT"] = "2"
    cluster.scheduler()
    first = cluster.worker(concurrency=1)
    run_pk = trigger(cluster, "t_slow", '{"seconds": 12}')
    wait_for(lambda: slow_marks(cluster), 60, what="the long task to start")
    time.sleep(4)  # past the visibility timeout: a new consumer restores the message
    second = cluster.worker(concurrency=1)
    run, tis = finished(cluster, run_pk, timeout=120)
    assert run.state == "success", [(t.task_id, t.state, t.error) for t in tis]
    assert slow_marks(cluster) == ["start try=1", "done try=1"]
    lines = (first.output + second.output).splitlines()
    received = [line for line in lines if "t_slow.long[" in line and "received" in line]
    assert len(received) >= 2, "the message was not delivered twice; the test proved nothing"
    assert any("t_slow.long[" in line and "noop:running" in line for line in lines)
