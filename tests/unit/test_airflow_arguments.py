"""Airflow arguments chordflow honours or refuses at load, never accepts and ignores (pure)."""
import datetime as dt

import pytest

from cluster import DAG, EmptyOperator, PythonOperator
from cluster.errors import DagDefinitionError, UnsupportedFeatureError
from cluster.sdk.operators.docker import DockerOperator
from cluster.sdk.operators.kubernetes import KubernetesPodOperator
from cluster.planning.serialization import outside_dates, priority_weights, serialize_dag
from cluster.sdk.sql_hooks import PostgresHook


def test_executor_config_is_refused_by_name():
    with DAG("d"):
        EmptyOperator(task_id="fine", executor_config={})
        with pytest.raises(UnsupportedFeatureError, match="executor_config"):
            EmptyOperator(task_id="t", executor_config={"KubernetesExecutor": {"image": "x"}})


def test_weight_rule_must_be_one_airflow_names():
    with DAG("d"):
        EmptyOperator(task_id="ok", weight_rule="upstream")
        with pytest.raises(UnsupportedFeatureError, match="weight_rule"):
            EmptyOperator(task_id="t", weight_rule=object())


def test_task_limits_must_be_positive():
    with DAG("d"), pytest.raises(DagDefinitionError, match="max_active_tis_per_dagrun"):
        EmptyOperator(task_id="t", max_active_tis_per_dagrun=0)
    with pytest.raises(DagDefinitionError, match="max_active_tasks"):
        DAG("d2", max_active_tasks=0)


def test_fail_stop_needs_all_success_everywhere():
    with DAG("fs", fail_stop=True) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b", trigger_rule="all_done")
    with pytest.raises(DagDefinitionError, match="fail_stop .* task 'b' has all_done"):
        dag.check()
    with DAG("ff", fail_fast=True) as dag3:  # Airflow 3's name
        EmptyOperator(task_id="a")
    assert serialize_dag(dag3)["fail_stop"] is True


def test_kubernetes_reattach_and_poll_interval_are_refused_by_name():
    with DAG("k"):
        KubernetesPodOperator(task_id="fine", image="x", reattach_on_restart=False)
        with pytest.raises(UnsupportedFeatureError, match="reattach_on_restart"):
            KubernetesPodOperator(task_id="r", image="x", reattach_on_restart=True)
        with pytest.raises(UnsupportedFeatureError, match="poll_interval"):
            KubernetesPodOperator(task_id="p", image="x", poll_interval=5)


def test_docker_retrieve_output_needs_a_path():
    with DAG("dk"), pytest.raises(Exception, match="retrieve_output_path"):
        DockerOperator(task_id="t", image="x", retrieve_output=True)


def test_task_dates_come_from_default_args_and_skip_runs_outside_them():
    with DAG("dates", default_args={"start_date": dt.datetime(2024, 1, 1)}) as dag:
        PythonOperator(task_id="t", python_callable=print, end_date=dt.date(2024, 6, 1))
    spec = serialize_dag(dag)["tasks"][0]
    assert spec["start_date"] == "2024-01-01T00:00:00+00:00"
    utc = dt.timezone.utc
    assert outside_dates(spec, dt.datetime(2024, 3, 1, tzinfo=utc)) is None
    assert "before the task's start_date" in outside_dates(spec, dt.datetime(2023, 1, 1, tzinfo=utc))
    assert "after the task's end_date" in outside_dates(spec, dt.datetime(2025, 1, 1, tzinfo=utc))


def _weights(rule_of=None, weight_of=None):
    with DAG("w") as dag:
        ops = {n: EmptyOperator(task_id=n, weight_rule=(rule_of or {}).get(n, "downstream"),
                                priority_weight=(weight_of or {}).get(n, 1)) for n in "abcde"}
        ops["a"] >> [ops["b"], ops["c"]] >> ops["d"]
        ops["c"] >> ops["e"]
    return priority_weights(serialize_dag(dag))


def test_priority_weights_follow_the_weight_rule():
    # a -> b, c -> d; c -> e. Downstream: own weight plus every descendant's, once each.
    assert _weights() == {"a": 5, "b": 2, "c": 3, "d": 1, "e": 1}
    assert _weights(weight_of={"d": 10}) == {"a": 14, "b": 11, "c": 12, "d": 10, "e": 1}
    up = _weights(rule_of=dict.fromkeys("abcde", "upstream"))
    assert up == {"a": 1, "b": 2, "c": 2, "d": 4, "e": 3}
    assert _weights(rule_of=dict.fromkeys("abcde", "absolute"), weight_of={"a": 7}) == \
        {"a": 7, "b": 1, "c": 1, "d": 1, "e": 1}


def test_postgres_upsert_statement():
    hook = PostgresHook.__new__(PostgresHook)
    sql = hook._insert_statement("t", 3, ["id", "name", "n"], True, replace_index="id")
    assert sql == ("INSERT INTO t (id, name, n) VALUES (%s, %s, %s) ON CONFLICT (id) "
                   "DO UPDATE SET name = excluded.name, n = excluded.n")
    assert hook._insert_statement("t", 1, ["id"], True, replace_index=["id"]).endswith(
        "ON CONFLICT (id) DO NOTHING")
    with pytest.raises(ValueError, match="replace_index"):
        hook._insert_statement("t", 1, ["id"], True)
    with pytest.raises(ValueError, match="target_fields"):
        hook._insert_statement("t", 1, None, True, replace_index="id")
