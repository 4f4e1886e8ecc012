"""Airflow arguments chordflow used to accept and ignore, now honoured."""
import datetime as dt
import os
import time

from airflow import DAG
from airflow.decorators import task
from airflow.exceptions import AirflowSkipException
from airflow.operators.python import PythonOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook

from _record import mark

START = dt.datetime(2024, 1, 1)


def hold(name, seconds):
    def run(*_, ti=None):
        mark(name, f"{ti.task_id}[{ti.map_index}] start")
        time.sleep(seconds)  # the work whose overlap the test measures
        mark(name, f"{ti.task_id}[{ti.map_index}] end")
    return run


def note(text):
    return lambda context: mark("args_callbacks.txt", f"{text} {context['ti'].task_id}")


def skip_me():
    raise AirflowSkipException("nothing to do")


with DAG("a_callbacks", schedule=None, start_date=START) as a_callbacks:
    skipper = PythonOperator(task_id="skipper", python_callable=skip_me,
                             on_execute_callback=note("execute"),
                             on_skipped_callback=note("skipped"))
    # skipped by its trigger rule, not by raising: Airflow calls no on_skipped_callback
    skipper >> PythonOperator(task_id="after_skip", python_callable=lambda: None,
                              on_skipped_callback=note("skipped"))
    PythonOperator(task_id="worker", python_callable=lambda: mark("args_callbacks.txt", "run worker"),
                   on_execute_callback=[note("execute"), note("execute-again")])

with DAG("a_task_dates", schedule=None, start_date=START) as a_task_dates:
    PythonOperator(task_id="not_yet", python_callable=lambda: None,
                   start_date=dt.datetime(2999, 1, 1))
    PythonOperator(task_id="over", python_callable=lambda: None, end_date=dt.datetime(2001, 1, 1))
    PythonOperator(task_id="now", python_callable=lambda: None,
                   start_date=dt.datetime(2001, 1, 1), end_date=dt.datetime(2999, 1, 1))

with DAG("a_max_tasks", schedule=None, start_date=START, max_active_tasks=2) as a_max_tasks:
    for i in range(5):
        PythonOperator(task_id=f"t{i}", python_callable=hold("max_tasks.txt", 1.5))

with DAG("a_concurrency", schedule=None, start_date=START, concurrency=1) as a_concurrency:
    for i in range(3):
        PythonOperator(task_id=f"t{i}", python_callable=hold("concurrency.txt", 1.0))

with DAG("a_per_run", schedule=None, start_date=START) as a_per_run:
    PythonOperator.partial(task_id="mapped", python_callable=hold("per_run.txt", 1.0),
                           max_active_tis_per_dagrun=1).expand(op_args=[[1], [2], [3], [4]])

with DAG("a_mapped_pool", schedule=None, start_date=START) as a_mapped_pool:
    PythonOperator.partial(task_id="mapped", python_callable=hold("mapped_pool.txt", 1.5),
                           pool="args_pool").expand(op_args=[[1], [2], [3], [4], [5]])


def slow_until_stopped():
    mark("fail_stop.txt", "slow start")
    time.sleep(60)  # stopped long before by fail_stop
    mark("fail_stop.txt", "slow end")


def fail_soon():
    path = os.path.join(os.environ.get("CHORDFLOW_TEST_OUT", "/tmp"), "fail_stop.txt")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not os.path.exists(path):
        time.sleep(0.05)  # until the slow task runs
    raise RuntimeError("fails on purpose")


with DAG("a_fail_stop", schedule=None, start_date=START, fail_stop=True) as a_fail_stop:
    slow = PythonOperator(task_id="slow", python_callable=slow_until_stopped)
    slow >> PythonOperator(task_id="after_slow", python_callable=lambda: None)
    PythonOperator(task_id="fails", python_callable=fail_soon)


with DAG("a_upsert", schedule=None, start_date=START) as a_upsert:
    @task
    def upsert():
        hook = PostgresHook(postgres_conn_id="cf_args_pg")
        hook.run("DROP TABLE IF EXISTS fruit; "
                 "CREATE TABLE fruit (id int PRIMARY KEY, name text, n int)")
        hook.insert_rows("fruit", [(1, "apple", 1), (2, "pear", 1)], ["id", "name", "n"])
        hook.insert_rows("fruit", [(2, "PEAR", 2), (3, "plum", 1)], ["id", "name", "n"],
                         replace=True, replace_index="id")
        hook.insert_rows("fruit", [(3, "plum?", 9)], ["id", "name", "n"], replace=True,
                         replace_index=["id"])
        return [list(r) for r in hook.get_records("SELECT id, name, n FROM fruit ORDER BY id")]

    upsert()


with DAG("a_xcom_source", schedule=None, start_date=START) as a_xcom_source:
    @task
    def make(dag_run=None):
        return f"made in {dag_run.run_id}"

    make()

with DAG("a_xcom_reader", schedule=None, start_date=START) as a_xcom_reader:
    @task
    def read(ti=None):
        return {
            "same_run_id": ti.xcom_pull(task_ids="make", dag_id="a_xcom_source"),
            "given_run": ti.xcom_pull(task_ids="make", dag_id="a_xcom_source",
                                      run_id="source-2"),
            "no_such_run": ti.xcom_pull(task_ids="make", dag_id="a_xcom_source",
                                        run_id="nope"),
            "own": ti.xcom_pull(task_ids="make"),
        }

    read()

with DAG("a_timeout_clear", schedule=None, start_date=START,
         dagrun_timeout=dt.timedelta(seconds=30)) as a_timeout_clear:
    # long enough for the scheduler's repair loop to look at the run many times
    PythonOperator(task_id="quick", python_callable=lambda: time.sleep(6))
