"""A custom operator the way Airflow users write one: BaseOperator subclass with
template_fields, template_ext, ui_color and self.log; a cleanup task with ALL_DONE."""
import os
import tempfile
from datetime import datetime

from airflow import DAG
from airflow.exceptions import AirflowSkipException
from airflow.models import BaseOperator
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.utils.trigger_rule import TriggerRule


class FileExportOperator(BaseOperator):
    """Writes the (rendered) query text to a file; stands in for an export."""

    template_fields = ("sql_like", "path")
    template_ext = (".sql",)
    ui_color = "#e8f7e4"

    def __init__(self, sql_like, path, row_limit=100, **kwargs):
        super().__init__(**kwargs)
        self.sql_like = sql_like
        self.path = path
        self.row_limit = row_limit

    def execute(self, context):
        self.log.info("Exporting %r to %s (limit %d)", self.sql_like, self.path, self.row_limit)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "w") as fh:
            fh.write(self.sql_like + "\n")
        self.log.info("Export done: %d bytes", os.path.getsize(self.path))
        return self.path


def maybe_notify(**context):
    if not context["params"]["notify"]:
        raise AirflowSkipException("notifications are off")
    print("notifying the team")


with DAG(
    dag_id="af_custom_operator",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"export_dir": tempfile.gettempdir(), "notify": False},
    default_args={"owner": "analytics", "retries": 0},
) as dag:
    export = FileExportOperator(
        task_id="export_orders",
        sql_like="SELECT * FROM orders WHERE day = '{{ ds }}' LIMIT 10",
        path="{{ params.export_dir }}/orders_{{ ds_nodash }}.csv",
        row_limit=10,
    )
    notify = PythonOperator(task_id="notify", python_callable=maybe_notify)
    cleanup = BashOperator(
        task_id="cleanup",
        bash_command="echo \"cleanup after {{ ti.xcom_pull(task_ids='export_orders') }}\"",
        trigger_rule=TriggerRule.ALL_DONE,
    )
    export >> notify >> cleanup
