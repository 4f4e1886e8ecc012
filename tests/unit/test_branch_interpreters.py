"""Branching from another interpreter: BranchExternalPythonOperator, BranchPythonVirtualenv-
Operator and their decorators decide with the return value of the external callable."""
import datetime as dt
import sys

import pytest

from cluster.compat.namespace import airflow_names
from cluster.sdk.dag import DAG
from cluster.errors import AirflowException
from cluster.sdk.operators.branch import to_skip
from cluster.sdk.operators.empty import EmptyOperator
from cluster.sdk.operators.python import task
from cluster.sdk.operators.virtualenv import (BranchExternalPythonOperator,
                                          BranchPythonVirtualenvOperator, ExternalPythonOperator,
                                          PythonVirtualenvOperator)
from cluster.planning.serialization import serialize_dag

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def pick(which):
    import sys as inner_sys  # runs in the other interpreter: imports inside

    return f"{which}_{inner_sys.version_info[0]}"


def test_the_external_return_value_is_the_branch_and_the_others_are_skipped():
    with DAG("b", start_date=START, schedule=None) as dag:
        choose = BranchExternalPythonOperator(task_id="choose", python=sys.executable,
                                              python_callable=pick, op_args=["left"])
        choose >> [EmptyOperator(task_id="left_3"), EmptyOperator(task_id="right_3")]
    spec = {t["task_id"]: t for t in serialize_dag(dag)["tasks"]}
    assert spec["choose"]["skips"] == "branch"
    result = choose.execute({"params": {}})
    assert result == "left_3"
    assert to_skip("branch", result, ["left_3", "right_3"], ["left_3", "right_3"]) == ["right_3"]
    with pytest.raises(AirflowException, match="not a direct downstream"):
        to_skip("branch", "elsewhere", ["left_3", "right_3"], [])


def test_plain_interpreter_operators_do_not_branch():
    with DAG("p", start_date=START, schedule=None) as dag:
        ExternalPythonOperator(task_id="ext", python=sys.executable, python_callable=pick)
        PythonVirtualenvOperator(task_id="venv", python_callable=pick)
        BranchPythonVirtualenvOperator(task_id="bvenv", python_callable=pick)
    skips = {t["task_id"]: t["skips"] for t in serialize_dag(dag)["tasks"]}
    assert skips == {"ext": None, "venv": None, "bvenv": "branch"}


def test_decorators_make_the_branch_operators():
    with DAG("d", start_date=START, schedule=None) as dag:
        @task.branch_external_python(python=sys.executable)
        def ext_choice():
            return "a"

        @task.branch_virtualenv(requirements=[])
        def venv_choice():
            return "a"

        ext_choice(), venv_choice()
    assert type(dag.get_task("ext_choice")) is BranchExternalPythonOperator
    assert dag.get_task("ext_choice").python == sys.executable
    assert type(dag.get_task("venv_choice")) is BranchPythonVirtualenvOperator


def test_airflow_names():
    with airflow_names():
        from airflow.operators.python import BranchExternalPythonOperator as Old
        from airflow.providers.standard.operators.python import (
            BranchExternalPythonOperator as New, BranchPythonVirtualenvOperator as NewVenv)
    assert Old is New is BranchExternalPythonOperator
    assert NewVenv is BranchPythonVirtualenvOperator
