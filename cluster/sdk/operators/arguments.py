"""How BaseOperator takes its arguments: `default_args` filling, the Airflow arguments that
only Airflow's own UI or e-mail read, dates and durations, and the task's logger name."""
from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import os
import sys
from typing import Any, Callable

from cluster.sdk.dag import current_dag, date_argument
from cluster.sdk.task_group import group_default_args

# Airflow arguments that only matter to Airflow's own UI or e-mail; accepted and ignored.
IGNORED_ARGS = frozenset({
    "owner", "email", "email_on_failure", "email_on_retry", "doc", "doc_md", "doc_rst",
    "doc_json", "doc_yaml", "task_display_name", "sla", "run_as_user",
    "resources", "inlets", "outlets",
    "do_xcom_push_default", "executor",
    "multiple_outputs_default", "map_index_template",
    "retry_exponential_backoff_max", "allow_nested_operators",
})


def apply_default_args(init: Callable) -> Callable:
    """Fill the arguments of `init` that the DAG's `default_args` name and the call left out.

    Like Airflow, only names in the signature are filled; other keys are ignored.
    """
    params = [
        name for name, p in inspect.signature(init).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name != "self"
    ]

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        group = kwargs.get("task_group")
        owner = kwargs.get("dag") or (group.dag if group is not None else None) or current_dag()
        defaults = dict(group.default_args) if group is not None else group_default_args(owner)
        defaults.update(kwargs.get("default_args") or {})
        positional = set(params[: len(args)])
        for name in params:
            if name in defaults and name not in kwargs and name not in positional:
                kwargs[name] = defaults[name]
        depth = self.__dict__.get("_init_depth", 0)
        self.__dict__["_init_depth"] = depth + 1
        try:
            init(self, *args, **kwargs)
        finally:
            self.__dict__["_init_depth"] = depth
        if depth == 0:  # the operator is whole: its subclasses' __init__ have run
            del self.__dict__["_init_depth"]
            link_xcom_args(self)

    return wrapper


def link_xcom_args(operator: Any) -> None:
    """A task whose template fields hold another task's XComArg runs after that task, as
    in Airflow (whatever class set the field)."""
    from cluster.sdk.xcom_arg import iter_xcom_args

    for field in getattr(operator, "template_fields", ()):
        for arg in iter_xcom_args(getattr(operator, field, None)):
            upstream = getattr(arg, "operator", None)
            if upstream is not None and upstream is not operator \
                    and upstream.task_id not in operator.upstream_task_ids:
                upstream >> operator


def task_logger(cls: type) -> logging.Logger:
    """`airflow.task.operators.<module>.<Class>`, as Airflow names an operator's logger."""
    parent = logging.getLogger("airflow.task")
    if parent.level == logging.NOTSET:
        parent.setLevel(logging.INFO)
    module = cls.__module__
    if module.startswith("chordflow_dag_"):  # a class of a DAG file: name it by its file
        module = os.path.splitext(os.path.basename(getattr(
            sys.modules.get(module), "__file__", None) or module))[0]
    return logging.getLogger(f"airflow.task.operators.{module}.{cls.__qualname__}")


def task_date(task_id: str, name: str, value: Any) -> dt.datetime | None:
    """A task's date argument as an aware datetime (a `date` is its midnight; naive: UTC)."""
    return date_argument(f"task {task_id!r}", name, value)


def seconds_of(value: dt.timedelta | float | int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)
