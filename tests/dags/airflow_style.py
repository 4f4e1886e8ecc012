"""Written for Airflow: it must load and run unchanged."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

default_args = {"owner": "data", "retries": 0, "retry_delay": timedelta(minutes=1)}


def greet(name, **context):
    print(f"hello {name} on {context['ds']}")
    return name.upper()


with DAG(
    dag_id="t_airflow_style",
    default_args=default_args,
    schedule_interval=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["compat"],
) as dag:
    hello = PythonOperator(task_id="hello", python_callable=greet, op_kwargs={"name": "ada"})
    echo = BashOperator(task_id="echo", bash_command="echo {{ ti.xcom_pull(task_ids='hello') }}")
    hello >> echo
