"""Dynamic task mapping written for Airflow: literal and run-time expansions, a mapped
BashOperator and PythonOperator, a reduce, an empty expansion, a failing child, a mapped
task in the middle of a chain and inside a group."""
import time
from datetime import datetime

from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

from _record import mark

START = datetime(2024, 1, 1)


def times_ten(n):
    return n * 10


@dag(dag_id="m_basic", start_date=START, schedule=None, catchup=False)
def m_basic():
    @task
    def add(x, y):
        time.sleep(0.3)
        return x + y

    @task
    def numbers():
        return [5, 6, 7, 8]

    @task
    def double(x):
        return 2 * x

    @task
    def sum_it(values):
        mark("m_basic.txt", f"sum {values}")
        return sum(values)

    @task
    def pulled(ti=None):
        return ti.xcom_pull(task_ids="add")

    added = add.partial(y=1).expand(x=[1, 2, 3])
    sum_it(values=added)
    added >> pulled()
    doubled = double.expand(x=numbers())
    sum_it.override(task_id="sum_doubled")(doubled)
    double.override(task_id="again").expand(x=added)
    BashOperator.partial(task_id="echo").expand(bash_command=["echo one", "echo two"])
    PythonOperator.partial(task_id="py", python_callable=times_ten).expand(op_args=[[1], [2]])
    add.override(task_id="add_kw").expand_kwargs([{"x": 1, "y": 10}, {"x": 2, "y": 20}])


@dag(dag_id="m_empty", start_date=START, schedule=None, catchup=False)
def m_empty():
    @task
    def nothing():
        return []

    @task
    def show(x):
        return x

    @task
    def after(values):
        return values

    @task(trigger_rule="all_done")
    def always():
        return "ran"

    shown = show.expand(x=nothing())
    after(shown)
    shown >> always()


@dag(dag_id="m_fail", start_date=START, schedule=None, catchup=False)
def m_fail():
    @task
    def boom(x):
        if x == 2:
            raise ValueError("two is not welcome")
        return x

    @task
    def fine():
        return "fine"

    @task
    def after(values, other):
        return values

    after(boom.expand(x=[1, 2, 3]), fine())


@dag(dag_id="m_chain", start_date=START, schedule=None, catchup=False)
def m_chain():
    @task
    def start():
        return ["a", "b", "c"]

    @task
    def middle(letter):
        time.sleep(0.5)
        mark("m_chain.txt", f"middle {letter}")
        return letter.upper()

    @task
    def side():
        mark("m_chain.txt", "side")
        return "side"

    @task
    def joined(letters, other):
        mark("m_chain.txt", "joined")
        return "".join(letters) + other

    @task
    def last(value):
        mark("m_chain.txt", "last")
        return value + "!"

    first = start()
    last(joined(middle.expand(letter=first), side()))


m_basic()
m_empty()
m_fail()
m_chain()
