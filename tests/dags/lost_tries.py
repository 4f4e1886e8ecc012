"""A task that kills the process running it, as an out-of-memory kill does."""
import datetime as dt
import os
import signal

from cluster import DAG, PythonOperator
from _record import mark


def kill_myself(ti=None):
    mark("lost_tries.txt", f"start try={ti.try_number}")
    os.kill(os.getpid(), signal.SIGKILL)


with DAG("t_lost_tries", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None) as dag:
    doomed = PythonOperator(task_id="doomed", python_callable=kill_myself, retries=1,
                            retry_delay=dt.timedelta(seconds=1))
    cleanup = PythonOperator(task_id="cleanup", python_callable=lambda: "cleaned",
                             trigger_rule="all_done")
    strict = PythonOperator(task_id="strict", python_callable=lambda: "ran")
    doomed >> [cleanup, strict]
