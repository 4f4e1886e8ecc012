import datetime as dt
import time

from cluster import DAG, PythonOperator
from _record import mark


def slow(ti=None, dag_run=None):
    mark("slow.txt", f"start try={ti.try_number}")
    time.sleep(float(dag_run.conf.get("seconds", 6)))
    mark("slow.txt", f"done try={ti.try_number}")
    return ti.try_number


with DAG("t_slow", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)) as dag:
    first = PythonOperator(task_id="first", python_callable=lambda: "first")
    # A killed worker's try is a failed try (as in Airflow): one retry to run it again.
    long_task = PythonOperator(task_id="long", python_callable=slow, retries=1, retry_delay=0)
    last = PythonOperator(task_id="last", python_callable=lambda: "last")
    first >> long_task >> last
