"""DAGs the operations tests clear, mark and cancel."""
import datetime as dt
import os
import time

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

from _record import mark

OUT = os.environ.get("CHORDFLOW_TEST_OUT", "/tmp")


def step(name):
    def run(ti=None):
        mark("ops.txt", f"{name} try={ti.try_number}")
        if name == "b" and not os.path.exists(os.path.join(OUT, "b-may-pass")):
            raise RuntimeError("b fails until the flag file exists")
        return name
    return run


with DAG("o_ops", schedule=None, start_date=dt.datetime(2024, 1, 1)) as o_ops:
    a, b, c = (PythonOperator(task_id=n, python_callable=step(n)) for n in "abc")
    a >> b >> c


def long_python():
    mark("long.txt", "python start")
    time.sleep(float(os.environ.get("CF_LONG_SECONDS", "40")))
    mark("long.txt", "python end")


with DAG("o_long", schedule=None, start_date=dt.datetime(2024, 1, 1)) as o_long:
    BashOperator(task_id="bash_sleep",
                 bash_command=f"sleep 41.5 && echo finished > {OUT}/bash-finished")
    PythonOperator(task_id="py_sleep", python_callable=long_python)
