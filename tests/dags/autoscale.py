"""Four parallel sleeps on their own queue: work for an autoscaling worker to grow for."""
import datetime as dt
import os
import time

from cluster import DAG, PythonOperator

from _record import mark


def nap(**context):
    mark("autoscale", f"{context['ti'].task_id} {os.getpid()} start")
    time.sleep(2)
    mark("autoscale", f"{context['ti'].task_id} {os.getpid()} end")


with DAG("t_autoscale", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None) as autoscale_dag:
    for i in range(4):
        PythonOperator(task_id=f"nap{i}", python_callable=nap, queue="autoscale")
