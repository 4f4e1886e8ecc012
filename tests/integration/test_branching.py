"""Branches, short circuits, all trigger rules, AirflowFail/Skip, callbacks on a real cluster."""
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.servers import wait_for


@pytest.fixture(scope="module")
def br(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def run(c, dag_id, *extra):
    done = c.cli("trigger", dag_id, "--wait", *extra)
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            row = conn.execute(text("SELECT id, state FROM dag_run WHERE dag_id = :d "
                                    "ORDER BY id DESC LIMIT 1"), {"d": dag_id}).one()
            tis = {t: (s, n, e) for t, s, n, e in conn.execute(text(
                "SELECT task_id, state, try_number, error FROM task_instance WHERE run_pk = :p"),
                {"p": row.id})}
    finally:
        handle.close()
    return done, row.state, tis


def state_of(tis):
    return {t: v[0] for t, v in tis.items()}


def marks(c, name):
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / name
    return [l.rsplit(" ", 1)[0] for l in path.read_text().splitlines()] if path.exists() else []


def test_branch_follows_the_choice_and_skips_propagate(br):
    done, state, tis = run(br, "b_branch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert state == "success"
    assert state_of(tis) == {"choose": "success", "left": "success", "right": "skipped",
                             "right_child": "skipped", "join": "success", "end": "success"}
    done, state, tis = run(br, "b_branch", "--conf", '{"pick": "right"}')
    assert state_of(tis)["left"] == "skipped" and state_of(tis)["right_child"] == "success"
    assert state == "success" and state_of(tis)["join"] == "success"
    done, state, tis = run(br, "b_branch", "--conf", '{"pick": "nowhere"}')
    assert state == "failed" and state_of(tis)["choose"] == "failed"
    assert "not a direct downstream task" in tis["choose"][2]
    assert marks(br, "branching.txt").count("left") == 1


def test_taskflow_branch_may_follow_several(br):
    done, state, tis = run(br, "b_taskflow_branch")
    assert state == "success"
    assert state_of(tis) == {"both": "success", "x": "success", "y": "success", "z": "skipped"}


def test_short_circuit_skips_all_or_only_the_next(br):
    done, state, tis = run(br, "b_short")
    assert state == "success", done.stdout
    s = state_of(tis)
    assert (s["a"], s["b"]) == ("skipped", "skipped")     # ignore_downstream_trigger_rules
    assert (s["a2"], s["b2"]) == ("skipped", "success")   # all_done decides for b2
    assert s["a3"] == "success"


def test_every_trigger_rule_against_success_failure_and_skip(br):
    done, state, tis = run(br, "b_rules")
    assert state == "failed"
    s = state_of(tis)
    assert (s["ok"], s["bad"], s["skip"]) == ("success", "failed", "skipped")
    expected = {
        "all_success": "upstream_failed", "all_failed": "skipped", "all_done": "success",
        "all_skipped": "skipped", "one_success": "success", "one_failed": "success",
        "one_done": "success", "none_failed": "upstream_failed",
        "none_failed_min_one_success": "upstream_failed", "none_skipped": "skipped",
        "always": "success",
        # a teardown's rule: with no setup upstream it runs once all are done, as in Airflow
        "all_done_setup_success": "success"}
    assert {k[2:]: v for k, v in s.items() if k.startswith("r_")} == expected
    ran = {m for m in marks(br, "branching.txt") if m.startswith("r_")}
    assert ran == {f"r_{k}" for k, v in expected.items() if v == "success"}


def test_callbacks_and_fail_without_retries(br):
    done, state, tis = run(br, "b_callbacks")
    assert state == "failed"
    assert tis["flaky"][:2] == ("success", 2)
    assert tis["hard"][:2] == ("failed", 1)  # AirflowFailException: retries=3 not used
    wait_for(lambda: any(m.startswith("dag_failure") for m in marks(br, "callbacks.txt")), 20,
             what="the DAG's on_failure_callback")
    got = marks(br, "callbacks.txt")
    assert "task_retry flaky RuntimeError" in got
    assert "task_success flaky str" in got
    assert "task_failure hard AirflowFailException" in got
    assert "dag_failure b_callbacks str" in got and not any(m.startswith("dag_success") for m in got)
    # BaseNotifier callbacks, their fields rendered against the callback's context
    assert "notified hard of b_callbacks try 1" in got
    wait_for(lambda: "dag notifier b_callbacks task failure" in marks(br, "callbacks.txt"), 20,
             what="the DAG's notifier")


EXTERNAL_BRANCH_DAG = '''
import sys
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchExternalPythonOperator


def choose():
    return "right"


with DAG("b_external", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None):
    b = BranchExternalPythonOperator(task_id="choose", python=sys.executable,
                                     python_callable=choose)
    b >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]

    @task.branch_external_python(python=sys.executable)
    def deco():
        return ["x"]

    deco() >> [EmptyOperator(task_id="x"), EmptyOperator(task_id="y")]
'''


def test_branch_from_an_external_interpreter_in_embedded_mode(tmp_path):
    """The other interpreter's return value picks the branch (operator and decorator)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "b_external.py").write_text(EXTERNAL_BRANCH_DAG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": "process",
                "CHORDFLOW_DAGS_FOLDER": str(tmp_path), "PYTHONPATH": str(root)})
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "run",
                           str(tmp_path / "b_external.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    table = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()
             if line.split()[:1] and line.split()[0] in ("choose", "left", "right", "deco",
                                                          "x", "y") and "[" not in line}
    assert table == {"choose": "success", "left": "skipped", "right": "success",
                     "deco": "success", "x": "success", "y": "skipped"}, done.stdout
