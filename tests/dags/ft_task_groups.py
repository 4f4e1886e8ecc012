"""Task groups the Airflow way: nesting, prefixes, group defaults, group-to-group edges,
`@task_group` functions called twice, and a branch that follows a group."""
import datetime as dt

from airflow import DAG
from airflow.decorators import task, task_group
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, PythonOperator
from airflow.utils.task_group import TaskGroup

from _record import mark

START = dt.datetime(2024, 1, 1)


def ran(context_name):
    def record(ti=None):
        mark("task_groups.txt", f"{ti.task_id}:{ti.try_number}")
        if context_name == "flaky" and ti.try_number == 1:
            raise RuntimeError("first try fails on purpose")
    return record


with DAG("tg_groups", schedule=None, start_date=START, default_args={"retries": 0,
                                                                     "retry_delay": 0}):
    start = PythonOperator(task_id="start", python_callable=ran("start"))
    with TaskGroup("extract", tooltip="pull the inputs",
                   default_args={"retries": 1}) as extract:
        flaky = PythonOperator(task_id="flaky", python_callable=ran("flaky"))
        with TaskGroup("inner") as inner:
            parse = PythonOperator(task_id="parse", python_callable=ran("parse"))
            check = PythonOperator(task_id="check", python_callable=ran("check"))
            parse >> check
        flaky >> inner
        side = PythonOperator(task_id="side", python_callable=ran("side"))
    with TaskGroup("load", prefix_group_id=False) as load:
        loose = PythonOperator(task_id="loose", python_callable=ran("loose"))

    @task
    def double(x):
        return x * 2

    @task
    def plus_one(x):
        return x + 1

    @task_group
    def transform(x):
        """double then add one"""
        return plus_one(double(x))

    @task_group(group_id="publish", default_args={"retries": 2})
    def publish():
        PythonOperator(task_id="flaky", python_callable=ran("flaky"))
        PythonOperator(task_id="other", python_callable=ran("other"))

    end = PythonOperator(task_id="end", python_callable=ran("end"))
    start >> extract >> load >> publish() >> end
    transform(transform(1)) >> end

with DAG("tg_branch", schedule=None, start_date=START):
    choose = BranchPythonOperator(task_id="choose",
                                  python_callable=lambda dag_run=None: dag_run.conf.get(
                                      "path", "path_a"))
    with TaskGroup("path_a") as path_a:
        PythonOperator(task_id="one", python_callable=ran("a1")) >> \
            PythonOperator(task_id="two", python_callable=ran("a2"))
    with TaskGroup("path_b") as path_b:
        PythonOperator(task_id="one", python_callable=ran("b1"))
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
    choose >> [path_a, path_b] >> join
