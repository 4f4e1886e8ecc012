"""Airflow's ORM names (`DagRun`, `TaskInstance`, `DagModel`, `Session`, `provide_session`).

Production DAG files import them at the top and use them in callables to query Airflow's
metadata database. Task code in chordflow never reaches the database (a try talks to the
cluster only through its scoped task API), so the names import, and using them raises an
error that says what to use instead. `DagBag` loads a folder through chordflow's loader.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from cluster.config import Settings
from cluster.errors import UnsupportedFeatureError
from cluster.control.loader import DagBag as Loaded

F = TypeVar("F", bound=Callable[..., Any])

_INSTEAD = {
    "DagRun": "the running task's context (`dag_run`, `ti`, `params`), `ExternalTaskSensor` "
              "to wait for another DAG, or `chordflow runs list DAG_ID` outside tasks",
    "TaskInstance": "the running task's `ti` (xcom_pull, try_number, task_id) or "
                    "`chordflow runs show RUN` outside tasks",
    "DagModel": "`chordflow dags list` / `chordflow dags pause|unpause`",
    "Session": "the task's context; chordflow's task code has no database session",
    "XCom": "`ti.xcom_pull` / `ti.xcom_push`",
}


def _refuse(name: str, what: str) -> UnsupportedFeatureError:
    return UnsupportedFeatureError(
        f"{name}.{what} queries Airflow's metadata database, which chordflow's task code "
        f"cannot reach; use {_INSTEAD[name]} instead")


class _OrmName(type):
    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise _refuse(cls.__name__, attr)


class _Refused(metaclass=_OrmName):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _refuse(type(self).__name__, "__init__")

    @classmethod
    def find(cls, *args: Any, **kwargs: Any) -> Any:
        raise _refuse(cls.__name__, "find")


class DagRun(_Refused):
    """Refused: see the module's docstring."""


class TaskInstance(_Refused):
    """Refused: see the module's docstring."""


class DagModel(_Refused):
    """Refused: see the module's docstring."""


class XCom(_Refused):
    """Refused: see the module's docstring."""


class Session(_Refused):
    """`airflow.settings.Session`: refused, there is no database session in task code."""


def provide_session(func: F) -> F:
    """Airflow's decorator passing a `session`: calling the function is refused."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("session") is not None:
            return func(*args, **kwargs)
        raise _refuse("Session", f"provide_session({func.__name__})")

    return wrapper  # type: ignore[return-value]


def create_session(*args: Any, **kwargs: Any) -> Any:
    raise _refuse("Session", "create_session")


NEW_SESSION: Any = None


class DagBag:
    """Airflow's `DagBag(dag_folder)`: the folder's DAGs and import errors, loaded by chordflow."""

    def __init__(self, dag_folder: str | None = None, include_examples: bool = False,
                 **kwargs: Any) -> None:
        if include_examples:
            raise UnsupportedFeatureError(
                "DagBag(include_examples=True): chordflow ships no Airflow example DAGs")
        folder = dag_folder or str(Settings.from_env().dags_folder)
        loaded = Loaded.load(folder)
        self.dag_folder = folder
        self.dags = loaded.dags
        self.import_errors = loaded.import_errors
        self.dag_ids = list(loaded.dags)

    def get_dag(self, dag_id: str, **_: Any) -> Any:
        return self.dags.get(dag_id)

    def size(self) -> int:
        return len(self.dags)


__all__ = ["DagRun", "TaskInstance", "DagModel", "XCom", "Session", "provide_session",
           "create_session", "NEW_SESSION", "DagBag"]
