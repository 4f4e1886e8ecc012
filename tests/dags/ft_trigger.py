"""TriggerDagRunOperator the Airflow way: templated conf and ids, waiting, reset, skip."""
import datetime as dt

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.operators.trigger_dagrun import TriggerDagRunOperator

from _record import mark

START = dt.datetime(2024, 1, 1)


def child(dag_run=None, logical_date=None):
    mark("trigger.txt", f"{dag_run.run_id}|{dag_run.conf.get('msg')}|{logical_date.date()}")
    if dag_run.conf.get("fail") == "yes":
        raise RuntimeError("the triggered run fails on purpose")


with DAG("trg_target", schedule=None, start_date=START):
    PythonOperator(task_id="child", python_callable=child)

for dag_id, extra in [("trg_parent", {}), ("trg_reset", {"reset_dag_run": True}),
                      ("trg_skip", {"skip_when_already_exists": True})]:
    with DAG(dag_id, schedule=None, start_date=START):
        TriggerDagRunOperator(
            task_id="go", trigger_dag_id="trg_target",
            trigger_run_id="{{ dag_run.conf.get('rid', 'from_' ~ run_id) }}",
            conf={"msg": "{{ dag_run.conf.get('msg', 'hello') }} from {{ dag.dag_id }}",
                  "fail": "{{ dag_run.conf.get('fail', 'no') }}"},
            logical_date="{{ dag_run.conf.get('when', '2024-03-01T00:00:00+00:00') }}",
            wait_for_completion=True, poke_interval=0.2, **extra)
