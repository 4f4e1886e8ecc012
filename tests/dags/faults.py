"""Work to break things under: each task records its start and its end (with its try)."""
import datetime as dt
import time

from cluster import DAG, PythonOperator
from _record import mark


def step(ti=None, dag_run=None):
    mark("faults.txt", f"start {ti.task_id} try={ti.try_number}")
    time.sleep(float(dag_run.conf.get("seconds", 0.8)))
    mark("faults.txt", f"done {ti.task_id} try={ti.try_number}")


START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

# a >> b >> [c0..c3] >> d >> e: chain links and a chord, a few seconds in all.
# A try cut off by a killed worker is a failed try (as in Airflow): retries run it again.
with DAG("t_faults", start_date=START, schedule=None,
         default_args={"retries": 2, "retry_delay": 0}) as faults:
    a, b, d, e = (PythonOperator(task_id=n, python_callable=step) for n in "abde")
    fan = [PythonOperator(task_id=f"c{i}", python_callable=step) for i in range(4)]
    a >> b >> fan >> d >> e


def maybe_fail(ti=None):
    if ti.task_id == "w137":
        raise RuntimeError("one header task fails on purpose")


# A 500-task chord whose header holds one failure; the callback side runs per its rules.
with DAG("t_big_chord", start_date=START, schedule=None) as big_chord:
    head = PythonOperator(task_id="head", python_callable=lambda: None)
    wide = [PythonOperator(task_id=f"w{i}", python_callable=maybe_fail) for i in range(500)]
    after = PythonOperator(task_id="after", python_callable=lambda: "ran",
                           trigger_rule="all_done")
    strict = PythonOperator(task_id="strict", python_callable=lambda: "ran")
    head >> wide >> after
    wide >> strict
