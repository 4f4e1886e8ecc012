"""Setup/teardown end to end (embedded): the teardown runs after failed work, its own
failure fails the run only with on_failure_fail_dagrun, a failed setup stops its scope."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

START = pendulum.datetime(2024, 1, 1, tz="UTC")


def build(dag_id, setup_cmd="true", work_cmd="true", teardown_cmd="true", strict=False):
    with DAG(dag_id, start_date=START, schedule=None):
        s = BashOperator(task_id="s", bash_command=setup_cmd).as_setup()
        w = BashOperator(task_id="w", bash_command=work_cmd)
        t = BashOperator(task_id="t", bash_command=teardown_cmd).as_teardown(
            setups=s, on_failure_fail_dagrun=strict)
        s >> w >> t


build("st_work_fails", work_cmd="exit 1")
build("st_teardown_fails", teardown_cmd="exit 1")
build("st_strict_teardown_fails", teardown_cmd="exit 1", strict=True)
build("st_setup_fails", setup_cmd="exit 1")
'''


def cli(tmp_path, dag_id, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / dag_id), "CHORDFLOW_RUNNER": "process",
                "CHORDFLOW_DAGS_FOLDER": str(tmp_path), "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def run(tmp_path, dag_id):
    done = cli(tmp_path, dag_id, "run", "--dag-id", dag_id, str(tmp_path / "st.py"))
    lines = done.stdout.splitlines()
    states = {line.split()[0]: line.split()[1] for line in lines
              if line.split()[:1] and line.split()[0] in ("s", "w", "t")}
    return done, states, lines[-1] if lines else ""


@pytest.mark.parametrize("dag_id, tasks, run_state", [
    ("st_work_fails", {"s": "success", "w": "failed", "t": "success"}, "failed"),
    ("st_teardown_fails", {"s": "success", "w": "success", "t": "failed"}, "success"),
    ("st_strict_teardown_fails", {"s": "success", "w": "success", "t": "failed"}, "failed"),
    ("st_setup_fails", {"s": "failed", "w": "upstream_failed", "t": "upstream_failed"},
     "failed"),
])
def test_setup_teardown_states(tmp_path, dag_id, tasks, run_state):
    (tmp_path / "st.py").write_text(DAGS)
    done, states, last = run(tmp_path, dag_id)
    assert states == tasks, done.stdout + done.stderr
    assert f": {run_state} in " in last, done.stdout
    assert done.returncode == (0 if run_state == "success" else 1)


def test_clearing_the_work_clears_its_setup_and_teardown(tmp_path):
    (tmp_path / "st.py").write_text(DAGS)
    done, states, _ = run(tmp_path, "st_work_fails")
    assert states["w"] == "failed", done.stdout + done.stderr
    cleared = cli(tmp_path, "st_work_fails", "tasks", "clear", "1", "--task", "^w$", "--wait")
    assert "cleared 3 task(s): s, w, t" in cleared.stdout, cleared.stdout + cleared.stderr
    assert cleared.stdout.strip().endswith("run 1: failed")
