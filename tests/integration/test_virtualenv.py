"""Python callables in other interpreters: a real, cached virtualenv; an external Python."""
import sys

import pytest

from tests.servers import ok


@pytest.fixture(scope="module")
def venvs(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def run_dag(c, dag_id, *extra):
    return c.run_dag(dag_id, *extra, timeout=600)


def test_callables_run_in_a_cached_virtualenv_and_an_external_python(venvs):
    done, run, tis, xcoms = run_dag(venvs, "venv_dag", "--logical-date", "2024-06-01")
    assert run.state == "success", done.stdout + done.stderr
    assert xcoms[("table", "return_value")] == {
        "version": "0.9.0", "lines": ["-  -", "1  2", "3  4", "-  -"], "ds": "2024-06-01"}
    assert xcoms[("bare", "return_value")] == "absent"   # not installed there, no system site
    assert xcoms[("external", "return_value")] == "ran by " + sys.executable
    assert tis["skip_code"].state == "skipped" and "exit" in tis["skip_code"].error
    first = ok(venvs.cli("tasks", "logs", str(run.id), "table"))
    assert "creating a virtualenv" in first and "tabulate" in first
    done, run, tis, xcoms = run_dag(venvs, "venv_dag")
    assert run.state == "success"
    again = ok(venvs.cli("tasks", "logs", str(run.id), "table"))
    assert "using the cached virtualenv" in again and "creating a virtualenv" not in again


def test_dill_carries_the_arguments_into_the_virtualenv(venvs):
    done, run, tis, xcoms = run_dag(venvs, "venv_dill")
    assert run.state == "success", done.stdout + done.stderr
    assert xcoms[("dilled", "return_value")] == {"doubled": 42, "dill_loaded": True}
    assert xcoms[("use_dill", "return_value")].startswith("dill: ")
    log = ok(venvs.cli("tasks", "logs", str(run.id), "dilled"))
    assert "creating a virtualenv" in log and "dill" in log
