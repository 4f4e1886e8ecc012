"""mode="reschedule": a sensor gives its worker slot back between pokes, keeps one try."""
from pathlib import Path

import pytest

from tests.integration.test_sensors import states, trigger, wait_for_state, wait_run


@pytest.fixture(scope="module")
def one_slot(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=1)  # one slot: the sensor must not hold it
    return cluster_env


def test_reschedule_frees_the_slot_and_pokes_under_one_try(one_slot):
    c = one_slot
    run = trigger(c, "t_sensor_reschedule")
    wait_for_state(c, run, "wait", "up_for_reschedule")
    quick = trigger(c, "t_quick")
    assert wait_run(c, quick, 60).state == "success"  # ran while the sensor waited
    assert states(c, run)["wait"].state in ("up_for_reschedule", "running")
    (Path(c.env["CHORDFLOW_TEST_OUT"]) / "resched-flag").write_text("go")
    assert wait_run(c, run, 60).state == "success"
    sensor = states(c, run)["wait"]
    assert sensor.try_number == 1
    log = c.cli("tasks", "logs", str(run), "wait").stdout
    assert log.count("poking again") >= 2 and log.count("--- try") == 1


def test_reschedule_timeout_counts_from_the_first_poke_and_is_not_retried(one_slot):
    c = one_slot
    run = trigger(c, "t_sensor_resched_timeout")
    assert wait_run(c, run, 60).state == "failed"
    ti = states(c, run)["never"]
    assert ti.state == "failed" and ti.try_number == 1
    assert "AirflowSensorTimeout" in ti.error
    assert (ti.end_date - ti.start_date).total_seconds() >= 1.5
