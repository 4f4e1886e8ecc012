"""Airflow's run-state and trigger-rule timing semantics: leaves decide a run, early rules."""
import datetime as dt
import os
import time

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.utils.trigger_rule import TriggerRule

from _record import mark

START = dt.datetime(2024, 1, 1)
OUT = "semantics.txt"


def ran(name):
    return lambda dag_run=None: mark(OUT, f"{dag_run.run_id} {name}")


def fail(dag_run=None):
    mark(OUT, f"{dag_run.run_id} fast")
    raise RuntimeError("fails on purpose")


def slow(dag_run=None, params=None):
    """Runs until the task named by `params.until` of the same run has started (or for
    `params.patience` seconds): an early rule makes that happen while this task runs."""
    mark(OUT, f"{dag_run.run_id} slow-start")
    path = os.path.join(os.environ.get("CHORDFLOW_TEST_OUT", "/tmp"), OUT)
    wanted = f"{dag_run.run_id} {params['until']} "
    deadline = time.monotonic() + float(params.get("patience", 60))
    while time.monotonic() < deadline:
        with open(path) as fh:
            if any(line.startswith(wanted) for line in fh):
                break
        time.sleep(0.05)
    mark(OUT, f"{dag_run.run_id} slow-end")


with DAG("s_cleanup", schedule=None, start_date=START) as s_cleanup:
    # A failed task followed by an all_done cleanup leaf that succeeds: the run succeeds.
    PythonOperator(task_id="work", python_callable=fail) >> PythonOperator(
        task_id="cleanup", python_callable=ran("cleanup"), trigger_rule=TriggerRule.ALL_DONE)

with DAG("s_leaf_fails", schedule=None, start_date=START) as s_leaf_fails:
    first = PythonOperator(task_id="first", python_callable=ran("first"))
    first >> PythonOperator(task_id="bad_leaf", python_callable=fail)
    first >> PythonOperator(task_id="good_leaf", python_callable=ran("good_leaf"))


def early_dag(dag_id, rule, fast_fails):
    with DAG(dag_id, schedule=None, start_date=START, params={"until": "join"}) as built:
        waits = PythonOperator(task_id="slow", python_callable=slow)
        fast = PythonOperator(task_id="fast", python_callable=fail if fast_fails else ran("fast"))
        join = PythonOperator(task_id="join", python_callable=ran("join"), trigger_rule=rule)
        [waits, fast] >> join >> PythonOperator(task_id="after", python_callable=ran("after"))
    return built


s_one_failed = early_dag("s_one_failed", TriggerRule.ONE_FAILED, True)
s_one_success = early_dag("s_one_success", TriggerRule.ONE_SUCCESS, False)
s_one_done = early_dag("s_one_done", TriggerRule.ONE_DONE, True)

with DAG("s_none_failed_min_one", schedule=None, start_date=START,
         params={"until": "nothing", "patience": 1.5}) as s_none_failed_min_one:
    # Not an early rule: the join waits for the slow upstream (which gives up after a
    # second and a half).
    [PythonOperator(task_id="slow", python_callable=slow),
     PythonOperator(task_id="fast", python_callable=ran("fast"))] >> PythonOperator(
        task_id="join", python_callable=ran("join"),
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

with DAG("s_always", schedule=None, start_date=START, params={"until": "anyway"}) as s_always:
    # Airflow runs an `always` task at once, whatever its upstreams are doing.
    PythonOperator(task_id="slow", python_callable=slow) >> PythonOperator(
        task_id="anyway", python_callable=ran("anyway"), trigger_rule=TriggerRule.ALWAYS)


with DAG("s_docker_one_failed", schedule=None, start_date=START) as s_docker_one_failed:
    # Under the docker runner every task is a container; the store's timestamps show the
    # one_failed join starting while the slow upstream still runs.
    from airflow.operators.bash import BashOperator

    [BashOperator(task_id="slow", bash_command="sleep 8"),
     BashOperator(task_id="fast", bash_command="exit 1")] >> BashOperator(
        task_id="join", bash_command="echo joined", trigger_rule=TriggerRule.ONE_FAILED)
