"""Branching, short circuits, every trigger rule, callbacks — the Airflow way."""
import datetime as dt

from airflow import DAG
from airflow.decorators import task
from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.notifications.basenotifier import BaseNotifier
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import (BranchPythonOperator, PythonOperator,
                                      ShortCircuitOperator)
from airflow.utils.trigger_rule import TriggerRule

from _record import mark

START = dt.datetime(2024, 1, 1)


def ran(name):
    return lambda: mark("branching.txt", name)


def pick(dag_run=None):
    return dag_run.conf.get("pick", "left")


with DAG("b_branch", schedule=None, start_date=START) as b_branch:
    choose = BranchPythonOperator(task_id="choose", python_callable=pick)
    left = PythonOperator(task_id="left", python_callable=ran("left"))
    right = PythonOperator(task_id="right", python_callable=ran("right"))
    right_child = PythonOperator(task_id="right_child", python_callable=ran("right_child"))
    join = PythonOperator(task_id="join", python_callable=ran("join"),
                          trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    choose >> [left, right]
    right >> right_child
    [left, right_child] >> join >> EmptyOperator(task_id="end")

with DAG("b_taskflow_branch", schedule=None, start_date=START) as b_taskflow_branch:
    @task.branch
    def both():
        return ["x", "y"]

    both() >> [PythonOperator(task_id=n, python_callable=ran(f"tf_{n}")) for n in "xyz"]

with DAG("b_short", schedule=None, start_date=START) as b_short:
    stop_all = ShortCircuitOperator(task_id="stop_all", python_callable=lambda: False)
    stop_all >> PythonOperator(task_id="a", python_callable=ran("a")) >> \
        PythonOperator(task_id="b", python_callable=ran("b"), trigger_rule="all_done")
    stop_next = ShortCircuitOperator(task_id="stop_next", python_callable=lambda: [],
                                     ignore_downstream_trigger_rules=False)
    stop_next >> PythonOperator(task_id="a2", python_callable=ran("a2")) >> \
        PythonOperator(task_id="b2", python_callable=ran("b2"), trigger_rule="all_done")
    go_on = ShortCircuitOperator(task_id="go_on", python_callable=lambda: "yes")
    go_on >> PythonOperator(task_id="a3", python_callable=ran("a3"))


def skip_me():
    raise AirflowSkipException("nothing to do today")


def fail_me():
    raise ValueError("upstream fails on purpose")


with DAG("b_rules", schedule=None, start_date=START) as b_rules:
    ups = [PythonOperator(task_id="ok", python_callable=ran("ok")),
           PythonOperator(task_id="bad", python_callable=fail_me),
           PythonOperator(task_id="skip", python_callable=skip_me)]
    for rule in TriggerRule:
        ups >> PythonOperator(task_id=f"r_{rule.value}", python_callable=ran(f"r_{rule.value}"),
                              trigger_rule=rule)


def cb(name):
    def callback(context):
        who = context["ti"].task_id if "ti" in context else context["dag"].dag_id
        what = context.get("exception") or context["dag_run"].run_id
        mark("callbacks.txt", f"{name} {who} {type(what).__name__}")
    return callback


class MarkNotifier(BaseNotifier):
    """Airflow's notifier shape: templated fields, rendered before notify."""

    template_fields = ("text",)

    def __init__(self, text):
        super().__init__()
        self.text = text

    def notify(self, context):
        mark("callbacks.txt", self.text)


def flaky(ti=None):
    if ti.try_number == 1:
        raise RuntimeError("first try fails")


def hard_fail():
    raise AirflowFailException("no point retrying")


with DAG("b_callbacks", schedule=None, start_date=START,
         on_success_callback=cb("dag_success"),
         on_failure_callback=[cb("dag_failure"),
                              MarkNotifier("dag notifier {{ dag.dag_id }} {{ reason }}")],
         default_args={"on_failure_callback": cb("task_failure"),
                       "on_success_callback": cb("task_success"),
                       "on_retry_callback": cb("task_retry"), "retry_delay": 0}) as b_callbacks:
    PythonOperator(task_id="flaky", python_callable=flaky, retries=1)
    PythonOperator(task_id="hard", python_callable=hard_fail, retries=3,
                   on_failure_callback=[cb("task_failure"), MarkNotifier(
                       "notified {{ ti.task_id }} of {{ dag.dag_id }} try {{ ti.try_number }}")])
