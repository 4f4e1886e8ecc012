"""Mapped task groups written for Airflow: `@task_group` `.expand(...)` over a literal and
`.partial(...).expand_kwargs(...)` over a task's output, each index reading the group's
other tasks at its own index, a classic operator inside, pulls by map index, a reduce."""
from datetime import datetime

from airflow.sdk import DAG, task, task_group
from airflow.providers.standard.operators.bash import BashOperator

START = datetime(2024, 1, 1)

with DAG("mg_literal", start_date=START, schedule=None, catchup=False):
    @task_group
    def op(num):
        @task
        def add_1(num):
            return num + 1

        @task
        def mul_2(num, ti=None):
            # the group's other task, pulled by hand, is this index's too
            assert ti.xcom_pull(task_ids="op.add_1") == num, (ti.map_index, num)
            return num * 2

        echo = BashOperator(task_id="echo", bash_command="echo index {{ ti.map_index }}")
        added = add_1(num)
        added >> echo
        return mul_2(added)

    @task
    def total(values, ti=None):
        # outside the group: every index's value, or the ones map_indexes names
        return {"sum": sum(values), "second": ti.xcom_pull(task_ids="op.mul_2", map_indexes=1),
                "picked": ti.xcom_pull(task_ids="op.add_1", map_indexes=[2, 0])}

    total(op.expand(num=[1, 2, 3]))

with DAG("mg_runtime", start_date=START, schedule=None, catchup=False):
    @task
    def rows():
        return [{"n": 1}, {"n": 2, "scale": 3}]

    @task_group(group_id="scaled")
    def scale_group(base, n, scale=10):
        @task
        def times(base, n, scale):
            return base + n * scale

        @task
        def label(value):
            return f"v={value}"

        return label(times(base, n, scale))

    @task
    def collect(labels):
        return labels

    collect(scale_group.partial(base=100).expand_kwargs(rows()))
