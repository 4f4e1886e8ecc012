"""Operators shipped with chordflow."""
from cluster.sdk.operators.base import BaseOperator, chain, cross_downstream
from cluster.sdk.operators.bash import BashOperator
from cluster.sdk.operators.branch import BaseBranchOperator, BranchPythonOperator, ShortCircuitOperator
from cluster.sdk.operators.empty import DummyOperator, EmptyOperator
from cluster.sdk.operators.python import PythonOperator, setup, task, teardown

__all__ = [
    "BaseBranchOperator", "BaseOperator", "BashOperator", "BranchPythonOperator",
    "ShortCircuitOperator", "DummyOperator", "EmptyOperator", "PythonOperator",
    "chain", "cross_downstream", "setup", "task", "teardown",
]
