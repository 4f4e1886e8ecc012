"""Airflow 2.9+: a cron timetable. chordflow has no timetables, so this file is an import
error naming `airflow.timetables`; the other DAG files of the folder still load."""
from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.timetables.trigger import CronTriggerTimetable

with DAG(
    dag_id="af_unsupported_timetable",
    schedule=CronTriggerTimetable("0 6 * * 1-5", timezone="UTC"),
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    EmptyOperator(task_id="noop")
