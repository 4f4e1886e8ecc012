"""A fan-out whose members each run longer than a short chord expiry."""
import datetime as dt
import time

from cluster import DAG, EmptyOperator, PythonOperator

with DAG("t_long_fanout", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None) as dag:
    head = EmptyOperator(task_id="head")
    members = [PythonOperator(task_id=f"m{i}", python_callable=lambda: time.sleep(5))
               for i in range(3)]
    tail = PythonOperator(task_id="tail", python_callable=lambda: "joined")
    head >> members >> tail
