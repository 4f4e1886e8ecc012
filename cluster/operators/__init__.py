"""Operators shipped with chordflow."""
from .base import BaseOperator, chain, cross_downstream
from .bash import BashOperator
from .empty import DummyOperator, EmptyOperator
from .python import PythonOperator, task

__all__ = [
    "BaseOperator", "BashOperator", "DummyOperator", "EmptyOperator", "PythonOperator",
    "chain", "cross_downstream", "task",
]
