"""Operators shipped with chordflow."""
from .base import BaseOperator, chain, cross_downstream
from .bash import BashOperator
from .branch import BaseBranchOperator, BranchPythonOperator, ShortCircuitOperator
from .empty import DummyOperator, EmptyOperator
from .python import PythonOperator, setup, task, teardown

__all__ = [
    "BaseBranchOperator", "BaseOperator", "BashOperator", "BranchPythonOperator",
    "ShortCircuitOperator", "DummyOperator", "EmptyOperator", "PythonOperator",
    "chain", "cross_downstream", "setup", "task", "teardown",
]
