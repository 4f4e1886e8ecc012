"""A DAG that reads what the cluster keeps for it, the way Airflow DAGs do: a Variable and a
Connection, in Python and in a Jinja template, from inside the task's container.

    chordflow variables set greeting hello
    chordflow connections add warehouse --conn-uri postgres://etl:s3cret@warehouse:5432/sales
    chordflow run dagdefs/example_settings.py

The connection's password is masked wherever it would reach a log.
"""
from __future__ import annotations

import datetime as dt

from airflow.hooks.base import BaseHook
from airflow.models import Variable
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

with DAG("example_settings", schedule=None, start_date=dt.datetime(2024, 1, 1),
         tags=["example"]) as dag:

    @task
    def describe() -> str:
        conn = BaseHook.get_connection("warehouse")
        print(f"{Variable.get('greeting')} from {conn.host}:{conn.port}/{conn.schema} "
              f"as {conn.login} (password {conn.password})")
        return conn.host

    templated = BashOperator(
        task_id="templated",
        bash_command="echo '{{ var.value.greeting }} again, {{ conn.warehouse.host }}'",
    )
    describe() >> templated
