"""Airflow names and a DAG folder's own modules at run time: task code importing lazily,
in the worker (process runner) and in task containers (docker runner), run as a user runs
a file (`chordflow run`)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import RUNTIME_IMAGE
from tests.servers import docker_client

ROOT = Path(__file__).resolve().parents[2]

LAZY_DAG = '''
import pendulum
from airflow import DAG
from airflow.decorators import task

with DAG("lazy_imports", start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Paris"),
         schedule=None, default_args={"retry_delay": pendulum.duration(seconds=5)}):

    @task
    def uses_lazy_imports(logical_date=None):
        import airflow
        from airflow.models import Variable
        from common.settings import GREETING   # the DAGs folder is on sys.path
        from sibling import VALUE              # and so is the file's folder
        try:
            from airflow.sdk import NoSuchThing
        except ImportError:
            fallback = "fell back"
        days = airflow.utils.dates.days_ago(0)
        print(f"lazy: {GREETING} {VALUE} {Variable.__name__} {fallback} "
              f"{type(logical_date).__name__} {days.hour}")
        return logical_date.add(days=1).to_date_string()

    uses_lazy_imports()
'''


def dag_folder(tmp_path: Path) -> Path:
    dags = tmp_path / "dags"
    for name, text in {"common/__init__.py": "", "common/settings.py": "GREETING = 'hello'\n",
                       "team_a/sibling.py": "VALUE = 42\n",
                       "team_a/lazy_dag.py": textwrap.dedent(LAZY_DAG)}.items():
        (dags / name).parent.mkdir(parents=True, exist_ok=True)
        (dags / name).write_text(text)
    return dags


def run_cli(tmp_path: Path, dags: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    base.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_DAGS_FOLDER": str(dags),
                 "CHORDFLOW_RUNTIME_IMAGE": RUNTIME_IMAGE, "CHORDFLOW_QUEUED_TIMEOUT": "600",
                 "PYTHONPATH": str(ROOT)})
    base.update(env)
    return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=tmp_path, env=base,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(params=["process", "docker"])
def runner(request):
    if request.param == "docker":
        docker_client([RUNTIME_IMAGE])
    return request.param


def test_lazy_airflow_and_folder_imports_at_run_time(tmp_path, runner):
    dags = dag_folder(tmp_path)
    done = run_cli(tmp_path, dags, "run", str(dags / "team_a" / "lazy_dag.py"),
                   CHORDFLOW_RUNNER=runner)
    logs = run_cli(tmp_path, dags, "tasks", "logs", "1", "uses_lazy_imports")
    assert done.returncode == 0, done.stdout + done.stderr + logs.stdout
    assert f"with the {runner} runner" in logs.stdout
    assert "lazy: hello 42 Variable fell back DateTime 0" in logs.stdout, logs.stdout
