"""Pools, max_active_tis_per_dag and queues."""
import datetime as dt
import os
import time

from airflow import DAG
from airflow.operators.python import PythonOperator

from _record import mark

START = dt.datetime(2024, 1, 1)


def hold(name, seconds):
    def run(ti=None):
        mark(name, f"{ti.task_id} start")
        time.sleep(seconds)
        mark(name, f"{ti.task_id} end")
    return run


with DAG("p_pool", schedule=None, start_date=START) as p_pool:
    for i in range(6):
        PythonOperator(task_id=f"t{i}", python_callable=hold("pool.txt", 0.6), pool="tiny")

with DAG("p_per_dag", schedule=None, start_date=START) as p_per_dag:
    PythonOperator(task_id="one_at_a_time", python_callable=hold("per_dag.txt", 0.8),
                   max_active_tis_per_dag=1)

with DAG("p_queue", schedule=None, start_date=START) as p_queue:
    PythonOperator(task_id="special",
                   python_callable=lambda: mark("queue.txt", os.environ.get("CF_WORKER", "?")),
                   queue="special")

with DAG("p_no_pool", schedule=None, start_date=START) as p_no_pool:
    PythonOperator(task_id="t", python_callable=lambda: None, pool="nope")

with DAG("p_priority", schedule=None, start_date=START) as p_priority:
    for i, weight in enumerate([1, 5, 3, 10, 2, 8]):
        PythonOperator(task_id=f"w{weight}", python_callable=hold("priority.txt", 0.05),
                       priority_weight=weight, queue="special")
