"""Sensors written the Airflow way: a file to land, and another DAG's task to finish."""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.sensors.base import PokeReturnValue
from airflow.sensors.external_task import ExternalTaskSensor
from airflow.sensors.filesystem import FileSensor
from airflow.sensors.python import PythonSensor

from _record import mark

OUT = os.environ.get("CHORDFLOW_TEST_OUT", "/tmp")
START = datetime(2024, 1, 1)


def landed_rows(params):
    """Done once the landed file has content; its first line is the XCom."""
    folder = os.path.join(OUT, "landing")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.startswith(params["name"]) and name.endswith(".csv"):
            text = open(os.path.join(folder, name)).read().strip()
            return PokeReturnValue(bool(text), xcom_value=text.splitlines()[0] if text else None)
    return False


def record(name, **context):
    mark(f"{name}-{context['run_id']}", context["ti"].xcom_pull(task_ids="has_rows") or "-")


with DAG("t_sensor_file", start_date=START, schedule=None, catchup=False,
         params={"name": "orders"}, default_args={"retries": 0}) as file_dag:
    wait_file = FileSensor(
        task_id="wait_file", mode="poke", poke_interval=0.2, timeout=120,
        filepath=os.path.join(OUT, "landing", "{{ params.name }}-*.csv"))
    has_rows = PythonSensor(task_id="has_rows", python_callable=landed_rows,
                            poke_interval=0.2, timeout=60)
    downstream = PythonOperator(task_id="downstream", python_callable=record,
                                op_kwargs={"name": "file-downstream"})
    wait_file >> has_rows >> downstream


def produce(**context):
    if context["dag_run"].conf.get("fail"):
        raise ValueError("asked to fail")
    mark(f"produced-{context['run_id']}", context["ds"])


with DAG("t_sensor_upstream", start_date=START, schedule=None, catchup=False) as upstream_dag:
    PythonOperator(task_id="produce", python_callable=produce)


with DAG("t_sensor_external", start_date=START, schedule=None, catchup=False) as external_dag:
    wait_task = ExternalTaskSensor(
        task_id="wait_produce", external_dag_id="t_sensor_upstream",
        external_task_id="produce", failed_states=["failed", "upstream_failed"],
        check_existence=True, poke_interval=0.2, timeout=120, retries=2)
    after = PythonOperator(task_id="after", python_callable=record,
                           op_kwargs={"name": "external-after"})
    wait_task >> after


with DAG("t_sensor_external_run", start_date=START, schedule=None,
         catchup=False) as external_run_dag:
    # The day before's whole run; its failure fails this sensor at once, without retries.
    ExternalTaskSensor(
        task_id="wait_yesterday", external_dag_id="t_sensor_upstream",
        execution_delta=timedelta(days=1), failed_states=["failed"],
        poke_interval=0.2, timeout=120, retries=2, retry_delay=0)


with DAG("t_sensor_timeout", start_date=START, schedule=None, catchup=False,
         default_args={"poke_interval": 0.2, "timeout": 1, "retries": 2, "retry_delay": 0}):
    # Timing out is final: no retries; with soft_fail the sensor is skipped instead.
    PythonSensor(task_id="never", python_callable=lambda: False)
    PythonSensor(task_id="never_soft", python_callable=lambda: False, soft_fail=True)


def resched_flag():
    return os.path.exists(os.path.join(OUT, "resched-flag"))


with DAG("t_sensor_reschedule", start_date=START, schedule=None) as resched_dag:
    PythonSensor(task_id="wait", python_callable=resched_flag, mode="reschedule",
                 poke_interval=0.3, timeout=120) >> \
        PythonOperator(task_id="after", python_callable=lambda: mark("resched-after", "ran"))

with DAG("t_sensor_resched_timeout", start_date=START, schedule=None) as resched_timeout_dag:
    PythonSensor(task_id="never", python_callable=lambda: False, mode="reschedule",
                 poke_interval=0.3, timeout=1.5, retries=2)

with DAG("t_quick", start_date=START, schedule=None) as quick_dag:
    PythonOperator(task_id="quick", python_callable=lambda: mark("quick", "ran"))
