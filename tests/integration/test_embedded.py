"""`chordflow run`: the embedded mode (SQLite, in-process broker and workers)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(tmp_path, *args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    base.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": "process",
                 "CHORDFLOW_EXAMPLE_OUT": str(tmp_path), "CHORDFLOW_TEST_OUT": str(tmp_path),
                 "CHORDFLOW_PROCESS_TASK_ENV": "CHORDFLOW_EXAMPLE_OUT,CHORDFLOW_TEST_OUT",
                 # Longer than the timeout below: a chord that never fires by itself (the
                 # in-memory backend needs the header's results) fails, not rescued.
                 "CHORDFLOW_QUEUED_TIMEOUT": "600"})
    base.update(env)
    return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=180)


def test_run_example_dag_end_to_end(tmp_path):
    done = run_cli(tmp_path, "run", "dagdefs/example_etl.py", "--conf", '{"orders": 100}')
    assert done.returncode == 0, done.stdout + done.stderr
    assert "run 1 (example_etl" in done.stdout and ": success" in done.stdout
    assert "sending it again" not in done.stderr
    assert "embedded, tasks in this process (state in" in done.stdout.splitlines()[0]
    assert (tmp_path / "state" / "chordflow.db").exists()
    report = next(tmp_path.glob("sales_*.csv")).read_text().splitlines()
    assert report[0] == "region,orders,total"
    assert sum(int(line.split(",")[1]) for line in report[1:]) == 100
    # the state directory keeps the run for later inspection
    shown = run_cli(tmp_path, "runs", "show", "1")
    assert shown.returncode == 0 and "summarize_east" in shown.stdout
    logs = run_cli(tmp_path, "tasks", "logs", "1", "report")
    assert "report for " in logs.stdout and ": 100 orders, total " in logs.stdout


def test_run_exit_code_is_one_when_the_run_fails(tmp_path):
    done = run_cli(tmp_path, "run", "tests/dags/failing.py")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "upstream_failed" in done.stdout and "failed" in done.stdout.splitlines()[-1]


def test_run_a_broken_file_is_a_one_line_error(tmp_path):
    done = run_cli(tmp_path, "run", "tests/dags/broken_cycle.py")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cycle" in done.stderr


def test_run_says_when_auto_falls_back_to_the_process_runner(tmp_path):
    done = run_cli(tmp_path, "run", "tests/dags/failing.py", CHORDFLOW_RUNNER="auto",
                   DOCKER_HOST="tcp://127.0.0.1:9")
    assert "tasks in this process (no Docker engine with the image" in done.stdout, done.stdout
