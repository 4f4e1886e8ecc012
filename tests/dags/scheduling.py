"""DAGs the scheduling tests unpause: catchup, latest-only, timeouts, backfill."""
import datetime as dt
import time

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

from _record import mark


def record(dag_run=None, data_interval_start=None, data_interval_end=None, ds=None):
    mark(f"{dag_run.dag_id}.txt",
         f"{ds} {data_interval_start.isoformat()} {data_interval_end.isoformat()} start")
    time.sleep(0.3)
    mark(f"{dag_run.dag_id}.txt", f"{ds} end")


for dag_id, catchup, end in (("s_catchup", True, dt.datetime(2024, 1, 5)),
                             ("s_latest", False, None)):
    with DAG(dag_id, schedule="@daily", start_date=dt.datetime(2024, 1, 1), end_date=end,
             catchup=catchup, max_active_runs=2) as dag:
        PythonOperator(task_id="record", python_callable=record)
    globals()[dag_id] = dag

with DAG("s_backfill", schedule_interval="0 12 * * *", start_date=dt.datetime(2020, 1, 1),
         max_active_runs=1, catchup=False, is_paused_upon_creation=True) as s_backfill:
    PythonOperator(task_id="record", python_callable=record)

with DAG("s_timeout", schedule=None, start_date=dt.datetime(2024, 1, 1),
         dagrun_timeout=dt.timedelta(seconds=2)) as s_timeout:
    sleeper = BashOperator(task_id="sleeper", bash_command="sleep 20")
    after = BashOperator(task_id="after", bash_command="echo never")
    sleeper >> after
