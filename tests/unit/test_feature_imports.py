"""The Airflow paths of task groups, TriggerDagRun, calendar, marker, virtualenv and e-mail
operators resolve to chordflow's classes; their bad arguments are refused by name."""
import datetime as dt
import importlib

import pytest

from cluster.compat.namespace import airflow_names
from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError, UnsupportedFeatureError

NAMES = {
    "airflow.sdk": ["TaskGroup", "task_group"],
    "airflow.utils.task_group": ["TaskGroup"],
    "airflow.decorators": ["task_group"],
    "airflow.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "airflow.providers.standard.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "airflow.operators.latest_only": ["LatestOnlyOperator"],
    "airflow.providers.standard.operators.latest_only": ["LatestOnlyOperator"],
    "airflow.operators.datetime": ["BranchDateTimeOperator"],
    "airflow.providers.standard.operators.datetime": ["BranchDateTimeOperator"],
    "airflow.operators.weekday": ["BranchDayOfWeekOperator"],
    "airflow.providers.standard.operators.weekday": ["BranchDayOfWeekOperator"],
    "airflow.utils.weekday": ["WeekDay"],
    "airflow.sensors.external_task": ["ExternalTaskSensor", "ExternalTaskMarker"],
    "airflow.providers.standard.sensors.external_task": ["ExternalTaskMarker"],
    "airflow.operators.python": ["PythonVirtualenvOperator", "ExternalPythonOperator"],
    "airflow.providers.standard.operators.python": ["PythonVirtualenvOperator"],
    "airflow.utils.email": ["send_email"],
    "airflow.operators.email": ["EmailOperator"],
    "airflow.providers.smtp.operators.smtp": ["EmailOperator"],
}


@pytest.mark.parametrize("module", sorted(NAMES))
def test_feature_names_import(module):
    with airflow_names():
        loaded = importlib.import_module(module)
        missing = [n for n in NAMES[module] if not hasattr(loaded, n)]
    assert not missing, f"{module} lacks {missing}"


def test_task_decorators_for_other_interpreters():
    from cluster.sdk.operators import task
    from cluster.sdk.operators.virtualenv import ExternalPythonOperator, PythonVirtualenvOperator

    with DAG("d", start_date=dt.datetime(2024, 1, 1)):
        @task.virtualenv(requirements="six\n# comment\n")
        def f():
            return 1

        @task.external_python(python="/usr/bin/python3")
        def g():
            return 2

        a, b = f(), g()
    assert isinstance(a.operator, PythonVirtualenvOperator) and a.operator.requirements == ["six"]
    assert isinstance(b.operator, ExternalPythonOperator)


def test_refusals_name_the_argument():
    from cluster.sdk.operators.external_marker import ExternalTaskMarker
    from cluster.sdk.operators.trigger_dagrun import TriggerDagRunOperator
    from cluster.sdk.operators.virtualenv import PythonVirtualenvOperator

    with DAG("d", start_date=dt.datetime(2024, 1, 1)):
        with pytest.raises(UnsupportedFeatureError, match="deferrable=True"):
            TriggerDagRunOperator(task_id="t", trigger_dag_id="x", deferrable=True)
        with pytest.raises(DagDefinitionError, match="allowed_states|not a valid"):
            TriggerDagRunOperator(task_id="t2", trigger_dag_id="x", allowed_states=["nope"])
        with pytest.raises(DagDefinitionError, match="only supports functions"):
            PythonVirtualenvOperator(task_id="v", python_callable=lambda: 1)
        with pytest.raises(DagDefinitionError, match="serializer='cloudpickle'"):
            PythonVirtualenvOperator(task_id="v2", python_callable=test_refusals_name_the_argument,
                                     serializer="cloudpickle")
        with pytest.raises(DagDefinitionError, match="contradict"):
            PythonVirtualenvOperator(task_id="v3", python_callable=test_refusals_name_the_argument,
                                     use_dill=True, serializer="pickle")
        with pytest.raises(DagDefinitionError, match="recursion_depth"):
            ExternalTaskMarker(task_id="m", external_dag_id="x", external_task_id="y",
                               recursion_depth=0)
