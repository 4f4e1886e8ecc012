"""DAG files written for Airflow (tests/dags/af_*.py) list, load and run unchanged."""
import json

import pytest

from cluster.control import services
from tests.servers import ok

AF_DAGS = ["af_classic_etl", "af_taskflow_params", "af_sdk_style", "af_sdk_with_block",
           "af_custom_operator"]


@pytest.fixture(scope="module")
def af_cluster(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    return cluster_env


def run_dag(c, dag_id, *extra):
    """Trigger with --wait; the finished run, its task states and its XComs."""
    done, run, tis, xcoms = c.run_dag(dag_id, *extra)
    ok(done)
    assert run.state == "success"
    return run, {t: ti.state for t, ti in tis.items()}, xcoms


def task_log(c, run, task_id):
    return ok(c.cli("tasks", "logs", str(run.id), task_id))


def test_airflow_dags_are_listed_and_the_unsupported_file_names_its_module(af_cluster):
    listed = af_cluster.cli("dags", "list")
    assert all(dag_id in listed.stdout for dag_id in AF_DAGS), listed.stdout
    errors = ok(af_cluster.cli("dags", "errors"))
    line = next(ln for ln in errors.splitlines() if "af_unsupported_timetable.py" in ln)
    assert ("does not support the Airflow name 'ContinuousTimetable' of "
            "'airflow.timetables.simple' (line 8)") in line
    assert "af_classic_etl.py" not in errors and "af_sdk_style.py" not in errors


def test_classic_airflow2_dag(af_cluster):
    run, states, xcoms = run_dag(af_cluster, "af_classic_etl")
    assert set(states.values()) == {"success"} and len(states) == 5
    ds = run.logical_date.strftime("%Y-%m-%d")
    assert f"report for {ds} region=eu rows=2" in task_log(af_cluster, run, "report")
    assert f"extracted 2 orders for {ds}" in task_log(af_cluster, run, "extract_orders")
    assert xcoms[("extract_orders", "row_count")] == 2  # pushed by the task, kept
    assert xcoms[("summarize", "return_value")] == 803.49
    # a plain (non-Param) param is overridden by the run's conf
    run, _, xcoms = run_dag(af_cluster, "af_classic_etl", "--conf", json.dumps({"region": "us"}))
    assert "region=us rows=1" in task_log(af_cluster, run, "report")


def test_taskflow_params_defaults_conf_override_and_refusal(af_cluster):
    run, states, xcoms = run_dag(af_cluster, "af_taskflow_params")
    assert states == {"extract": "success", "transform": "success", "load": "success"}
    assert xcoms[("extract", "total")] == 1236.7 and xcoms[("extract", "count")] == 3
    assert xcoms[("transform", "return_value")] == {
        "label": "orders", "scaled": 2473.4, "average": 412.23, "currency": "EUR"}
    assert "loaded orders: scaled=2473.4 EUR average=412.23" in task_log(af_cluster, run, "load")

    run, _, xcoms = run_dag(af_cluster, "af_taskflow_params", "--conf",
                            json.dumps({"multiplier": 3, "currency": "USD"}))
    assert xcoms[("transform", "return_value")]["scaled"] == 3710.1
    assert "USD" in task_log(af_cluster, run, "load")

    for conf, words in (({"multiplier": 0}, "param 'multiplier'"),
                        ({"multiplier": "3"}, "param 'multiplier'"),
                        ({"currency": "JPY"}, "param 'currency'"),
                        ({"label": ""}, "param 'label'")):
        refused = af_cluster.cli("trigger", "af_taskflow_params", "--conf", json.dumps(conf))
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and words in refused.stderr
        assert "af_taskflow_params" in refused.stderr
    handle = af_cluster.cluster()
    try:
        assert len(services.list_runs(handle, "af_taskflow_params")) == 2  # none were queued
    finally:
        handle.close()


def test_airflow3_sdk_variable_and_current_context(af_cluster):
    run, _, xcoms = run_dag(af_cluster, "af_sdk_style")
    ds = run.logical_date.strftime("%Y-%m-%d")
    assert f"environment=dev batch=50 in af_sdk_style/read_settings for {ds}" in \
        task_log(af_cluster, run, "read_settings")
    ok(af_cluster.cli("variables", "set", "af_environment", "production"))
    ok(af_cluster.cli("variables", "set", "af_batch_size", "200"))
    run, _, xcoms = run_dag(af_cluster, "af_sdk_style")
    assert "environment=production batch=200" in task_log(af_cluster, run, "read_settings")
    assert "announcing production from announce" in task_log(af_cluster, run, "announce")
    assert xcoms[("announce", "return_value")] == 400
    run, _, xcoms = run_dag(af_cluster, "af_sdk_with_block")
    assert xcoms[("which_run", "return_value")] == run.run_id


def test_custom_operator_templates_log_and_all_done(af_cluster):
    out = af_cluster.tmp / "out" / "exports"
    run, states, xcoms = run_dag(af_cluster, "af_custom_operator", "--conf",
                                 json.dumps({"export_dir": str(out)}))
    assert states == {"export_orders": "success", "notify": "skipped", "cleanup": "success"}
    ds = run.logical_date.strftime("%Y-%m-%d")
    path = out / f"orders_{run.logical_date.strftime('%Y%m%d')}.csv"
    assert xcoms[("export_orders", "return_value")] == str(path)
    assert path.read_text() == f"SELECT * FROM orders WHERE day = '{ds}' LIMIT 10\n"
    log = task_log(af_cluster, run, "export_orders")
    assert "airflow.task.operators.af_custom_operator.FileExportOperator" in log
    assert f"Exporting \"SELECT * FROM orders WHERE day = '{ds}' LIMIT 10\" to {path}" in log
    assert "Export done: 55 bytes" in log
    assert f"cleanup after {path}" in task_log(af_cluster, run, "cleanup")
