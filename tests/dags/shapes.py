import datetime as dt
import time

from cluster import DAG, PythonOperator, EmptyOperator


def sleeper(seconds):
    def run(**context):
        time.sleep(seconds)
        return context["ti"].task_id
    return run


START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

with DAG("t_chain", start_date=START, schedule=None) as chain_dag:
    a, b, c = (PythonOperator(task_id=n, python_callable=sleeper(0.05)) for n in "abc")
    a >> b >> c

with DAG("t_diamond", start_date=START, schedule=None) as diamond:
    top = PythonOperator(task_id="top", python_callable=sleeper(0.05))
    left = PythonOperator(task_id="left", python_callable=sleeper(0.3))
    right = PythonOperator(task_id="right", python_callable=sleeper(0.1))
    bottom = PythonOperator(task_id="bottom", python_callable=sleeper(0.0))
    top >> [left, right] >> bottom

# Not series-parallel: a->c, b->c, b->d. d must start when b ends, not wait for a.
with DAG("t_nonsp", start_date=START, schedule=None) as nonsp:
    a = PythonOperator(task_id="a", python_callable=sleeper(2.0))
    b = PythonOperator(task_id="b", python_callable=sleeper(0.2))
    c = PythonOperator(task_id="c", python_callable=sleeper(0.1))
    d = PythonOperator(task_id="d", python_callable=sleeper(0.1))
    [a, b] >> c
    b >> d

with DAG("t_wide", start_date=START, schedule=None) as wide:
    head = EmptyOperator(task_id="head")
    tail = EmptyOperator(task_id="tail")
    head >> [PythonOperator(task_id=f"p{i}", python_callable=sleeper(0)) for i in range(30)] >> tail
