"""ExternalTaskMarker: clearing a parent task with downstream clears the child DAG's task."""
import datetime as dt

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.sensors.external_task import ExternalTaskMarker

from _record import mark

START = dt.datetime(2024, 1, 1)


def ran(name):
    return lambda: mark("marker.txt", name)


with DAG("mk_parent", schedule=None, start_date=START):
    PythonOperator(task_id="work", python_callable=ran("work")) >> ExternalTaskMarker(
        task_id="mark_child", external_dag_id="mk_child", external_task_id="child_start")

with DAG("mk_child", schedule=None, start_date=START):
    PythonOperator(task_id="child_start", python_callable=ran("child_start")) >> \
        PythonOperator(task_id="child_end", python_callable=ran("child_end"))
    PythonOperator(task_id="unrelated", python_callable=ran("unrelated"))

for me, other in (("mk_loop_a", "mk_loop_b"), ("mk_loop_b", "mk_loop_a")):
    with DAG(me, schedule=None, start_date=START):
        ExternalTaskMarker(task_id="loop", external_dag_id=other, external_task_id="loop",
                           recursion_depth=3)
