"""LatestOnlyOperator, BranchDateTimeOperator and BranchDayOfWeekOperator, Airflow paths."""
import datetime as dt

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.providers.standard.operators.datetime import BranchDateTimeOperator
from airflow.operators.latest_only import LatestOnlyOperator
from airflow.operators.python import PythonOperator
from airflow.operators.weekday import BranchDayOfWeekOperator
from airflow.utils.weekday import WeekDay

START = dt.datetime(2024, 1, 1)

with DAG("cal_latest", schedule="@daily", start_date=START, catchup=True,
         is_paused_upon_creation=True):
    latest = LatestOnlyOperator(task_id="latest")
    work = EmptyOperator(task_id="work")
    after = EmptyOperator(task_id="after")
    latest >> work >> after
    EmptyOperator(task_id="always")

with DAG("cal_branch", schedule=None, start_date=START):
    hours = BranchDateTimeOperator(
        task_id="hours", follow_task_ids_if_true="in_hours", follow_task_ids_if_false=[
            "off_hours"], target_lower=dt.time(9), target_upper=dt.time(17),
        use_task_logical_date=True)
    hours >> [EmptyOperator(task_id="in_hours"), EmptyOperator(task_id="off_hours")]
    day = BranchDayOfWeekOperator(
        task_id="day", follow_task_ids_if_true="weekend", follow_task_ids_if_false="weekday",
        week_day={WeekDay.SATURDAY, "Sunday"}, use_task_logical_date=True)
    day >> [EmptyOperator(task_id="weekend"), EmptyOperator(task_id="weekday")]
