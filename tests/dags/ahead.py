"""A warm container loads its try's DAG file while it waits (workers/runners/warm_pool.py):
`second` says when this file was loaded in its container, and when its try started."""
import datetime as dt
import time

from cluster import DAG, BashOperator, task

LOADED_AT = time.time()

with DAG("t_docker_ahead", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)):

    @task(queue="ahead")
    def second(ti=None):
        return {"loaded_at": LOADED_AT, "try_started_at": ti.start_date.timestamp()}

    BashOperator(task_id="first", bash_command="sleep 5", queue="ahead") >> second()
