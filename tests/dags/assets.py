"""DAGs the asset tests use: producers that update assets through `outlets`, and DAGs
scheduled on them (all of two, any of two), in Airflow 2 and 3 spellings."""
import datetime as dt
import json

from airflow import DAG
from airflow.datasets import Dataset
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.sdk import Asset

from _record import mark

RAW = Dataset("s3://bucket/raw.csv")
TABLE = Asset("clean_table", uri="postgres://warehouse/public/clean")

with DAG("as_make_raw", schedule=None, start_date=dt.datetime(2024, 1, 1)) as as_make_raw:
    BashOperator(task_id="write_raw", bash_command="echo raw", outlets=[RAW])

with DAG("as_make_table", schedule=None, start_date=dt.datetime(2024, 1, 1)) as as_make_table:
    PythonOperator(task_id="write_table", python_callable=lambda: "clean", outlets=[TABLE])

with DAG("as_fail_raw", schedule=None, start_date=dt.datetime(2024, 1, 1)) as as_fail_raw:
    BashOperator(task_id="write_raw", bash_command="exit 3", outlets=[RAW])


def report(dag_run=None, triggering_asset_events=None, triggering_dataset_events=None,
           data_interval_start=None, data_interval_end=None, inlet_events=None):
    seen = {uri: [[e.source_dag_id, e.source_task_id] for e in events]
            for uri, events in triggering_asset_events.items()}
    assert dict(triggering_dataset_events) == dict(triggering_asset_events)
    report = json.dumps({
        "run_type": dag_run.run_id.split("__")[0], "events": seen,
        "interval_ordered": data_interval_start <= data_interval_end,
        "inlets": sorted(inlet_events)}, sort_keys=True)
    print("report:", report)
    mark(f"{dag_run.dag_id}.txt", report)


with DAG("as_wait_both", schedule=[RAW, TABLE], start_date=dt.datetime(2024, 1, 1)) as both:
    PythonOperator(task_id="report", python_callable=report, inlets=[RAW])

with DAG("as_wait_either", schedule=(RAW | TABLE), start_date=dt.datetime(2024, 1, 1)) as either:
    PythonOperator(task_id="report", python_callable=report)
