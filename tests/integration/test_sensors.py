"""Sensors on a real cluster: a FileSensor waiting for a file, ExternalTaskSensors on other DAGs."""
import json
import os
import re
import time
from pathlib import Path

import pytest

from cluster.control import services
from tests.servers import wait_for


@pytest.fixture(scope="module")
def sensor_cluster(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    return cluster_env


def trigger(c, dag_id, *extra):
    done = c.cli("trigger", dag_id, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return int(re.search(r"run (\d+) of", done.stdout).group(1))


def states(c, run_pk):
    handle = c.cluster()
    try:
        _, tis = services.run_details(handle, run_pk)
    finally:
        handle.close()
    return {t.task_id: t for t in tis}


def wait_for_state(c, run_pk, task_id, state, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ti = states(c, run_pk).get(task_id)
        if ti is not None and ti.state == state:
            return ti
        time.sleep(0.1)
    raise AssertionError(f"{task_id} of run {run_pk} never became {state}: {states(c, run_pk)}")


def wait_run(c, run_pk, timeout=120):
    handle = c.cluster()
    try:
        return services.wait(handle, run_pk, timeout=timeout)
    finally:
        handle.close()


def recorded(c, name):
    """The (text, time) lines the DAG's tasks wrote with `_record.mark`."""
    lines = (Path(c.env["CHORDFLOW_TEST_OUT"]) / name).read_text().splitlines()
    return [(line.rsplit(" ", 1)[0], float(line.rsplit(" ", 1)[1])) for line in lines]


def test_file_sensor_holds_the_downstream_until_the_file_lands(sensor_cluster):
    c = sensor_cluster
    landing = Path(c.env["CHORDFLOW_TEST_OUT"]) / "landing"
    landing.mkdir(exist_ok=True)
    run_pk = trigger(c, "t_sensor_file")
    wait_for_state(c, run_pk, "wait_file", "running")
    # several pokes find nothing (waited for in its log: a loaded machine starts tries slowly)
    wait_for(lambda: c.cli("tasks", "logs", str(run_pk), "wait_file").stdout.count("not yet")
             >= 2, 60, interval=0.5, what="two pokes that find nothing")
    tis = states(c, run_pk)
    assert tis["wait_file"].state == "running" and tis["downstream"].state == "none"
    # land it atomically, so the sensor never sees a half-written file
    partial = landing / "orders-20240501.part"
    partial.write_text("id,amount\n1,9.5\n")
    created = time.time()
    os.rename(partial, landing / "orders-20240501.csv")
    run = wait_run(c, run_pk)
    assert run.state == "success", states(c, run_pk)
    tis = states(c, run_pk)
    assert all(t.try_number == 1 for t in tis.values())
    [(xcom, started)] = recorded(c, f"file-downstream-{run.run_id}")
    assert started > created and xcom == "id,amount"
    log = c.cli("tasks", "logs", str(run_pk), "wait_file").stdout
    assert log.count("poking for file") >= 3 and "found file" in log, log
    assert f"{landing}/orders-*.csv" in log  # the templated pattern, rendered


def test_external_task_sensor_waits_for_the_other_dags_task(sensor_cluster):
    c = sensor_cluster
    sensing = trigger(c, "t_sensor_external", "--logical-date", "2024-05-01")
    wait_for_state(c, sensing, "wait_produce", "running")
    time.sleep(1.0)  # no run of t_sensor_upstream at that date yet
    assert states(c, sensing)["after"].state == "none"
    # a run at another date does not count
    other = c.cli("trigger", "t_sensor_upstream", "--logical-date", "2024-05-02", "--wait")
    assert other.returncode == 0, other.stdout + other.stderr
    time.sleep(0.6)
    assert states(c, sensing)["wait_produce"].state == "running"
    upstream = c.cli("trigger", "t_sensor_upstream", "--logical-date", "2024-05-01", "--wait")
    assert upstream.returncode == 0, upstream.stdout + upstream.stderr
    run = wait_run(c, sensing)
    assert run.state == "success", states(c, sensing)
    handle = c.cluster()
    produced = [r for r in services.list_runs(handle, "t_sensor_upstream")
                if r.logical_date.date().isoformat() == "2024-05-01"]
    handle.close()
    [(ds, produced_at)] = recorded(c, f"produced-{produced[0].run_id}")
    [(_, after_at)] = recorded(c, f"external-after-{run.run_id}")
    assert ds == "2024-05-01" and after_at > produced_at
    log = c.cli("tasks", "logs", str(sensing), "wait_produce").stdout
    assert "poking for task(s) produce of DAG t_sensor_upstream at 2024-05-01" in log, log


def test_external_failure_fails_the_sensor_without_retries(sensor_cluster):
    c = sensor_cluster
    failed = c.cli("trigger", "t_sensor_upstream", "--logical-date", "2024-06-01",
                   "--conf", json.dumps({"fail": True}), "--wait")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    done = c.cli("trigger", "t_sensor_external_run", "--logical-date", "2024-06-02", "--wait")
    assert done.returncode == 1, done.stdout + done.stderr
    handle = c.cluster()
    run = services.list_runs(handle, "t_sensor_external_run", limit=1)[0]
    handle.close()
    ti = states(c, run.id)["wait_yesterday"]
    assert ti.state == "failed" and ti.try_number == 1
    assert ti.error.startswith("AirflowFailException: The external DAG t_sensor_upstream")


def test_timeout_is_final_and_soft_fail_skips(sensor_cluster):
    c = sensor_cluster
    done = c.cli("trigger", "t_sensor_timeout", "--wait")
    assert done.returncode == 1, done.stdout + done.stderr
    handle = c.cluster()
    run = services.list_runs(handle, "t_sensor_timeout", limit=1)[0]
    handle.close()
    tis = states(c, run.id)
    assert (tis["never"].state, tis["never"].try_number) == ("failed", 1)
    assert tis["never"].error.startswith("AirflowSensorTimeout: Sensor has timed out")
    assert (tis["never_soft"].state, tis["never_soft"].try_number) == ("skipped", 1)
