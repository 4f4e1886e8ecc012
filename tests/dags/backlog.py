"""A DAG that allows one active run: a long queue of its runs is a held-back backfill."""
import datetime as dt

from cluster import DAG, EmptyOperator

with DAG("t_one_at_a_time", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None, max_active_runs=1) as dag:
    EmptyOperator(task_id="only")
