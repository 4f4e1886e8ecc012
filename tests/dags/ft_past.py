"""depends_on_past and wait_for_downstream, the Airflow way."""
import datetime as dt

from airflow import DAG
from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)


def maybe_fail(dag_run=None):
    if dag_run.conf.get("fail") == "yes":
        raise RuntimeError("fails on purpose")


with DAG("past_dop", schedule=None, start_date=START):
    PythonOperator(task_id="gate", python_callable=maybe_fail, depends_on_past=True) >> \
        PythonOperator(task_id="after", python_callable=lambda: None)

with DAG("past_wfd", schedule=None, start_date=START):
    PythonOperator(task_id="first", python_callable=lambda: None, wait_for_downstream=True) >> \
        PythonOperator(task_id="second", python_callable=maybe_fail)
