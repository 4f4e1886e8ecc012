"""Airflow 2.6+: a continuous timetable (a new run as soon as the last one ends).
chordflow has no ContinuousTimetable, so this file is an import error naming it; the other
DAG files of the folder still load."""
from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.timetables.simple import ContinuousTimetable

with DAG(
    dag_id="af_unsupported_timetable",
    schedule=ContinuousTimetable(),
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    EmptyOperator(task_id="noop")
