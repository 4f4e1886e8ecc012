"""TriggerDagRunOperator through the CLI on a real cluster."""
from pathlib import Path

import pytest

from cluster.control import services
from tests.servers import ok


@pytest.fixture(scope="module")
def trg(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def trigger(c, dag_id, conf):
    return c.run_dag(dag_id, "--conf", conf)


def child_run(c, run_id):
    handle = c.cluster()
    try:
        run, tis = services.run_details(handle, f"trg_target/{run_id}")
    finally:
        handle.close()
    return run, tis[0]


def marks(c):
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / "trigger.txt"
    return [l.rsplit(" ", 1)[0] for l in path.read_text().splitlines()] if path.exists() else []


def test_trigger_renders_conf_and_waits_for_the_triggered_run(trg):
    done, run, tis, xcoms = trigger(trg, "trg_parent", '{"rid": "r1", "msg": "hi"}')
    assert run.state == "success", done.stdout + done.stderr
    assert xcoms[("go", "trigger_run_id")] == "r1"
    assert xcoms[("go", "trigger_dag_id")] == "trg_target"
    child, child_ti = child_run(trg, "r1")
    assert child.state == "success" and child.conf == {"msg": "hi from trg_parent", "fail": "no"}
    assert child.logical_date.isoformat().startswith("2024-03-01T00:00:00")
    assert marks(trg) == ["r1|hi from trg_parent|2024-03-01"]
    # wait_for_completion: the trigger task ended after the run it started
    assert tis["go"].end_date >= child_ti.end_date


def test_a_failed_triggered_run_fails_the_waiting_task(trg):
    done, run, tis, _ = trigger(trg, "trg_parent", '{"rid": "r2", "fail": "yes"}')
    assert run.state == "failed" and tis["go"].state == "failed"
    assert "trg_target failed with failed states failed" in tis["go"].error
    assert child_run(trg, "r2")[0].state == "failed"


def test_an_existing_run_fails_skips_or_is_reset(trg):
    ok(trg.cli("trigger", "trg_parent", "--wait", "--conf", '{"rid": "r3"}'))
    assert marks(trg).count("r3|hello from trg_parent|2024-03-01") == 1
    done, run, tis, _ = trigger(trg, "trg_parent", '{"rid": "r3"}')
    assert tis["go"].state == "failed" and "already exists" in tis["go"].error
    done, run, tis, _ = trigger(trg, "trg_skip", '{"rid": "r3"}')
    assert run.state == "success" and tis["go"].state == "skipped"
    done, run, tis, _ = trigger(trg, "trg_reset", '{"rid": "r3", "msg": "new"}')
    assert run.state == "success" and tis["go"].state == "success"
    # Cleared and run again, with the conf it was created with (Airflow keeps it).
    assert marks(trg).count("r3|hello from trg_parent|2024-03-01") == 2
    assert child_run(trg, "r3")[0].state == "success"
