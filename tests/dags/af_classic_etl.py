"""Airflow 2, the classic way: a `with DAG(...)` block, default_args, PythonOperator
callables taking **kwargs, BashOperator templates and `chain`. Runs unchanged."""
from datetime import timedelta

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.utils.dates import days_ago

default_args = {
    "owner": "data-eng",
    "depends_on_past": False,
    "email": ["data-eng@example.com"],
    "email_on_failure": False,
    "email_on_retry": False,
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}

ORDERS = [
    {"order_id": 1001, "amount": 301.27, "region": "eu"},
    {"order_id": 1002, "amount": 433.21, "region": "us"},
    {"order_id": 1003, "amount": 502.22, "region": "eu"},
]


def extract_orders(**kwargs):
    ti = kwargs["ti"]
    rows = [r for r in ORDERS if r["region"] == kwargs["params"]["region"]]
    ti.xcom_push(key="row_count", value=len(rows))
    print(f"extracted {len(rows)} orders for {kwargs['ds']}")
    return rows


def summarize_orders(**context):
    rows = context["ti"].xcom_pull(task_ids="extract_orders")
    total = round(sum(r["amount"] for r in rows), 2)
    print(f"summary for {context['ds']}: {len(rows)} orders, total {total}")
    return total


with DAG(
    "af_classic_etl",
    default_args=default_args,
    description="Daily orders ETL",
    schedule_interval=None,
    start_date=days_ago(1),
    catchup=False,
    params={"region": "eu"},
    tags=["example", "etl"],
) as dag:
    start = EmptyOperator(task_id="start")
    extract = PythonOperator(
        task_id="extract_orders",
        python_callable=extract_orders,
        provide_context=True,
    )
    report = BashOperator(
        task_id="report",
        bash_command=(
            "echo \"report for {{ ds }} region={{ params.region }} "
            "rows={{ ti.xcom_pull(task_ids='extract_orders', key='row_count') }}\""
        ),
    )
    summarize = PythonOperator(task_id="summarize", python_callable=summarize_orders)
    end = EmptyOperator(task_id="end")

    chain(start, extract, [report, summarize], end)
