"""chordflow: Airflow-style DAGs run as Celery canvases on a cluster of workers.

The authoring API lives here: `from cluster import DAG, task, PythonOperator, ...`.
"""
from cluster.sdk.dag import DAG, dag
from cluster.errors import AirflowException, AirflowFailException, AirflowSkipException
from cluster.sdk.operators import (
    BaseOperator, BashOperator, DummyOperator, EmptyOperator, PythonOperator, chain,
    cross_downstream, task,
)
from cluster.states import RunState, TaskState
from cluster.sdk.trigger_rules import TriggerRule
from cluster.sdk.xcom_arg import XComArg

__version__ = "0.1.0"

__all__ = [
    "DAG", "AirflowException", "AirflowFailException", "AirflowSkipException", "BaseOperator",
    "BashOperator", "DummyOperator", "EmptyOperator", "PythonOperator", "RunState",
    "TaskState", "TriggerRule", "XComArg", "chain", "cross_downstream", "dag", "task",
]
