"""`chordflow run`: the embedded mode (SQLite, in-process broker and workers)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RUNTIME_IMAGE
from tests.servers import docker_client

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


def runner_env(runner):
    """The settings of an embedded run with `runner` (docker: needs the runtime image)."""
    if runner != "docker":
        return {}
    docker_client([RUNTIME_IMAGE])
    return {"CHORDFLOW_RUNNER": "docker", "CHORDFLOW_RUNTIME_IMAGE": RUNTIME_IMAGE}


def dag_file(folder, name, source):
    """`source` written as `folder/name`, both readable by the task containers' user (uid
    1000): pytest's folders are private."""
    path = folder / name
    path.write_text(source)
    for each in (folder, path):
        each.chmod(0o755)
    return str(path)


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


NOISY = '''
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def noisy():
    for i in range(2000):
        print(f"line {i:04d} " + "x" * 40)


with DAG("noisy_logs", schedule=None):
    PythonOperator(task_id="python", python_callable=noisy)
    BashOperator(task_id="bash", bash_command="for i in $(seq 1 2000); do echo bash $i; done")
'''


@pytest.mark.parametrize("runner", ["process", "docker"])
def test_a_try_log_is_cut_at_the_limit_with_a_line_saying_so(tmp_path, runner):
    env = {"CHORDFLOW_TASK_LOG_MAX_BYTES": "3000", **runner_env(runner)}
    done = run_cli(tmp_path, "run", dag_file(tmp_path, "noisy.py", NOISY), **env)
    assert done.returncode == 0 and ": success" in done.stdout, \
        done.stdout + done.stderr + run_cli(tmp_path, "tasks", "logs", "1", "bash").stdout[-2000:]
    for task_id, first, unseen in (("python", "line 0000 ", "line 1999 "),
                                   ("bash", "bash 1\n", "bash 2000\n")):
        logs = run_cli(tmp_path, "tasks", "logs", "1", task_id)
        assert logs.returncode == 0, logs.stderr
        text = logs.stdout
        assert first in text and unseen not in text, text[-500:]
        assert text.count("reached CHORDFLOW_TASK_LOG_MAX_BYTES (3000 bytes)") == 1, text[-800:]
        # what chordflow says about the try's end is kept past the limit
        cut = text.index("reached CHORDFLOW_TASK_LOG_MAX_BYTES")
        assert "success" in text[cut:].lower() or "exit" in text[cut:].lower(), text[cut:]
        assert len(text.encode()) < 3000 + 2000, len(text.encode())


# A user's own TaskFlow decorator on Airflow's DecoratedOperator and task_decorator_factory,
# and another task's XComArg in a BashOperator's template field (resolved when it renders).
CUSTOM_DECORATOR = '''
import datetime as dt
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.sdk import BaseOperator
from airflow.sdk.bases.decorator import DecoratedOperator, task_decorator_factory


class Shouting(BaseOperator):
    def __init__(self, *, loud=True, **kwargs):
        super().__init__(**kwargs)
        self.loud = loud

    def execute(self, context):
        value = self.python_callable(*self.op_args, **self.op_kwargs)
        return value.upper() if self.loud else value


class _ShoutingDecorated(DecoratedOperator, Shouting):
    custom_operator_name = "@shout"


def shout(python_callable=None, **kwargs):
    return task_decorator_factory(python_callable=python_callable,
                                  decorated_operator_class=_ShoutingDecorated, **kwargs)


@shout
def greet(name):
    return "hello " + name


@shout(loud=False)
def command(text):
    return "echo " + text


with DAG("custom_decorator", start_date=dt.datetime(2024, 1, 1), schedule=None):
    BashOperator(task_id="echo", bash_command=command(greet("ada")))
    greet.override(loud=False)("bob")
'''


@pytest.mark.parametrize("runner", ["process", "docker"])
def test_a_custom_taskflow_decorator_and_an_xcomarg_in_a_template_field(tmp_path, runner):
    done = run_cli(tmp_path, "run", dag_file(tmp_path, "custom.py", CUSTOM_DECORATOR),
                   **runner_env(runner))
    shown = run_cli(tmp_path, "runs", "show", "1").stdout
    assert done.returncode == 0 and ": success" in done.stdout, done.stdout + done.stderr
    # the function used twice is two tasks; each XComArg argument made an upstream
    assert re.search(r"^greet__1\s+success", shown, re.M), shown
    log = run_cli(tmp_path, "tasks", "logs", "1", "echo").stdout
    # command got greet's "HELLO ADA"; echo's command is command's XCom
    assert "\nHELLO ADA\n" in log, log
