"""Outcomes that are hard to record: NUL bytes in output, an XCom key the store refuses."""
import datetime as dt
import time

from cluster import DAG, PythonOperator
from _record import mark

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def nul_output(ti=None):
    mark("recording.txt", f"start nul try={ti.try_number}")
    for _ in range(30):  # NUL-laden output for longer than the zombie threshold
        print("before\x00after", flush=True)
        time.sleep(0.2)
    return "value\x00with nul"


def unrecordable_key():
    return {"k" * 600: 1}  # XCom keys are at most 512 characters


with DAG("t_nul_output", start_date=START, schedule=None) as nul_dag:
    PythonOperator(task_id="noisy", python_callable=nul_output)

with DAG("t_unrecordable", start_date=START, schedule=None) as unrecordable_dag:
    PythonOperator(task_id="wide_key", python_callable=unrecordable_key, multiple_outputs=True)
