"""BashOperator options, template files for Python tasks and `.output`, through the CLI."""
import pytest

from tests.servers import ok


@pytest.fixture(scope="module")
def ops(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def run_dag(c, dag_id, *extra):
    return c.run_dag(dag_id, *extra)


def test_bash_operator_options(ops):
    done, run, tis, xcoms = run_dag(ops, "op_bash")
    assert run.state == "success", done.stdout + done.stderr
    assert xcoms[("processed", "return_value")] == {"value": 40}
    assert tis["default_skip"].state == "skipped" and tis["custom_skip"].state == "skipped"
    assert "exit code 3" in tis["custom_skip"].error
    assert xcoms[("in_temp_dir", "return_value")].split("/")[-1].startswith("airflowtmp")
    assert xcoms[("in_cwd", "return_value")] == "/"
    assert xcoms[("env_only", "return_value")] == "hello nohome"
    greeting, home = xcoms[("env_appended", "return_value")].split(" ")
    assert greeting == "hello" and home != "nohome"


def test_bash_failures_name_their_cause(ops):
    done, run, tis, _ = run_dag(ops, "op_bash_fail")
    assert done.returncode == 1 and run.state == "failed"
    assert tis["no_skip"].state == "failed" and "non-zero exit code 99" in tis["no_skip"].error
    assert tis["bad_cwd"].state == "failed"
    assert "Can not find the cwd: /no/such/dir" in tis["bad_cwd"].error


def test_template_files_for_python_tasks_and_output(ops):
    done, run, tis, xcoms = run_dag(ops, "op_templates", "--logical-date", "2024-05-06")
    assert run.state == "success", done.stdout + done.stderr
    expected = "SELECT * FROM events WHERE day = '2024-05-06' -- events"
    assert xcoms[("from_file", "return_value")] == expected
    assert xcoms[("query", "return_value")] == expected
    assert xcoms[("consume", "return_value")] == 42
    log = ok(ops.cli("tasks", "logs", str(run.id), "produce"))
    assert "Done. Returned value was: 21" in log
    assert "Done. Returned value not shown" in ok(ops.cli("tasks", "logs", str(run.id), "consume"))
