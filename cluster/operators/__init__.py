"""Operators shipped with chordflow."""
from cluster.operators.base import BaseOperator, chain, cross_downstream
from cluster.operators.bash import BashOperator
from cluster.operators.branch import BaseBranchOperator, BranchPythonOperator, ShortCircuitOperator
from cluster.operators.empty import DummyOperator, EmptyOperator
from cluster.operators.python import PythonOperator, setup, task, teardown

__all__ = [
    "BaseBranchOperator", "BaseOperator", "BashOperator", "BranchPythonOperator",
    "ShortCircuitOperator", "DummyOperator", "EmptyOperator", "PythonOperator",
    "chain", "cross_downstream", "setup", "task", "teardown",
]
