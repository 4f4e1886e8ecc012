"""The Airflow import surface: every supported path imports, unsupported ones fail by name."""
import importlib

import pytest

from cluster.compat.namespace import MODULES, airflow_names
from cluster.errors import UnsupportedFeatureError

# module -> names DAG files commonly import from it.
SUPPORTED = {
    "airflow": ["DAG"],
    "airflow.sdk": ["DAG", "dag", "task", "BaseOperator", "Variable", "Param", "Connection",
                    "chain", "get_current_context"],
    "airflow.decorators": ["dag", "task"],
    "airflow.models": ["DAG", "Variable", "BaseOperator", "Param"],
    "airflow.models.param": ["Param", "ParamsDict"],
    "airflow.models.baseoperator": ["BaseOperator", "chain", "cross_downstream"],
    "airflow.utils.helpers": ["chain", "cross_downstream"],
    "airflow.operators.python": ["PythonOperator", "get_current_context"],
    "airflow.operators.python_operator": ["PythonOperator"],
    "airflow.operators.bash": ["BashOperator"],
    "airflow.operators.bash_operator": ["BashOperator"],
    "airflow.operators.empty": ["EmptyOperator"],
    "airflow.operators.dummy": ["DummyOperator"],
    "airflow.operators.dummy_operator": ["DummyOperator"],
    "airflow.providers.standard.operators.python": ["PythonOperator"],
    "airflow.providers.standard.operators.bash": ["BashOperator"],
    "airflow.providers.standard.operators.empty": ["EmptyOperator"],
    "airflow.utils.trigger_rule": ["TriggerRule"],
    "airflow.utils.dates": ["days_ago"],
    "airflow.utils.state": ["State", "DagRunState", "TaskInstanceState"],
    "airflow.exceptions": ["AirflowException", "AirflowSkipException", "AirflowFailException",
                           "AirflowSensorTimeout", "AirflowNotFoundException"],
}
UNSUPPORTED = {
    "from airflow.timetables.simple import ContinuousTimetable":
        "'ContinuousTimetable' of 'airflow.timetables.simple'",
    "import airflow.timetables.partitioned": "'airflow.timetables.partitioned'",
    "from airflow.models import DagBagOfTricks": "'DagBagOfTricks' of 'airflow.models'",
    "from airflow.sdk import AssetWatcher": "'AssetWatcher' of 'airflow.sdk'",
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_listed_module_imports(module):
    with airflow_names():
        importlib.import_module(module)


@pytest.mark.parametrize("module", sorted(SUPPORTED))
def test_supported_names(module):
    with airflow_names():
        loaded = importlib.import_module(module)
        missing = [n for n in SUPPORTED[module] if not hasattr(loaded, n)]
    assert not missing, f"{module} lacks {missing}"


@pytest.mark.parametrize("statement", sorted(UNSUPPORTED))
def test_unsupported_names_fail_naming_them(statement):
    with airflow_names(), pytest.raises(UnsupportedFeatureError) as info:
        exec(statement, {})
    assert UNSUPPORTED[statement] in str(info.value)


def test_names_are_chordflow_classes_with_airflow_values():
    with airflow_names():
        import airflow
        from airflow.models.baseoperator import chain as chain_a
        from airflow.utils.helpers import chain as chain_b
        from airflow.utils.state import DagRunState, State, TaskInstanceState
        from airflow.utils.dates import days_ago
        import airflow.utils.helpers as helpers
    from cluster.sdk.dag import DAG
    assert airflow.DAG is DAG and chain_a is chain_b
    assert {"chain", "cross_downstream", "merge_dicts"} <= set(vars(helpers))
    assert State.NONE is None and State.SUCCESS == "success" and "up_for_retry" in State.unfinished
    assert TaskInstanceState.UPSTREAM_FAILED == "upstream_failed"
    assert DagRunState.QUEUED == "queued" and str(DagRunState.FAILED) == "failed"
    assert days_ago(0).hour == 0


def test_names_stay_after_the_block_for_task_code_that_imports_lazily():
    with airflow_names():
        importlib.import_module("airflow.sdk")
    assert importlib.import_module("airflow.models").Variable.__module__ == "cluster.sdk.variable"


def test_get_current_context_inside_and_outside_a_task():
    from cluster.sdk.context_var import current_context, use_context
    from cluster.errors import AirflowException
    with airflow_names():
        from airflow.operators.python import get_current_context
    with pytest.raises(AirflowException, match="no context"):
        get_current_context()
    with use_context({"ds": "2024-01-01"}):
        assert get_current_context()["ds"] == "2024-01-01" and current_context()["ds"]
    with pytest.raises(AirflowException):
        current_context()


def test_operator_log_is_named_like_airflow_and_logs_at_info(caplog):
    from cluster.sdk.operators.base import BaseOperator

    class Exporter(BaseOperator):
        def execute(self, context):
            self.log.info("exported %d rows", 3)

    op = Exporter(task_id="x")
    assert op.log.name == f"airflow.task.operators.{__name__}.{Exporter.__qualname__}"
    with caplog.at_level("INFO", logger="airflow.task"):
        op.execute({})
    assert "exported 3 rows" in caplog.text
