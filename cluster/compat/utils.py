"""Airflow's small helpers that DAG files and providers import from `airflow.utils.*`.

`apply_defaults` (a no-op since Airflow 2), `LoggingMixin`, `merge_dicts`, `chain_linear`,
`get_parsing_context`, the `timezone` functions, `NOTSET`, and the trigger base classes
(a deferred try runs its trigger itself: cluster/sdk/deferral.py).
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import os
import pkgutil
from typing import Any, Callable, Mapping, TypeVar


from cluster.sdk.exceptions import DownstreamTasksSkipped
from cluster.errors import AirflowException
from cluster.datetimes import (TIMEZONE, TIMEZONE_NAMES, coerce_datetime, convert_to_utc, datetime,
                               is_localized, is_naive, make_aware, make_naive, parse, utc, utcnow)
from cluster.sdk.trigger_base import (BaseEventTrigger, BaseTrigger, LoggingMixin, StartTriggerArgs,
                                      TriggerEvent)
from cluster.sdk.operators.base import _tasks_of

F = TypeVar("F", bound=Callable[..., Any])

Context = dict  # Airflow's Context is a TypedDict: a dict of the task's context names


def apply_defaults(func: F) -> F:
    """Airflow 1's decorator for operator constructors; `default_args` apply without it."""
    return func


def merge_dicts(dict1: dict, dict2: dict) -> dict:
    """`dict1` updated by `dict2`, nested dicts merged the same way."""
    merged = dict(dict1)
    for key, value in dict2.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged


def determine_kwargs(func: Callable[..., Any], args: Any, kwargs: Mapping[str, Any]
                     ) -> Mapping[str, Any]:
    """The keyword arguments `func` accepts (all of them if it takes `**kwargs`), after the
    positional parameters `args` fills."""
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return dict(kwargs)
    free = {p.name for p in params[len(args):]
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    return {key: value for key, value in kwargs.items() if key in free}


class KeywordParameters:
    """The keyword arguments a callable gets, as Airflow's operator helpers decide them."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._kwargs = kwargs

    @classmethod
    def determine(cls, func: Callable[..., Any], args: Any, kwargs: Mapping[str, Any]
                  ) -> "KeywordParameters":
        return cls(determine_kwargs(func, args, kwargs))

    def unpacking(self) -> Mapping[str, Any]:
        return self._kwargs

    def serializing(self) -> Mapping[str, Any]:
        return self._kwargs


def md5(data: bytes = b"", *, usedforsecurity: bool = False) -> Any:
    """`airflow.utils.hashlib_wrapper.md5`: an MD5 that is not for security."""
    return hashlib.md5(data, usedforsecurity=usedforsecurity)


def get_unique_dag_module_name(file_path: str) -> str:
    """The module name Airflow gives a DAG file's module (`unusual_prefix_<sha1>_<name>`)."""
    digest = hashlib.sha1(file_path.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"unusual_prefix_{digest}_{os.path.splitext(os.path.basename(file_path))[0]}"


class _NoOutletEvents:
    """chordflow records no extra data on asset events: reading the accessors is refused."""

    def __getitem__(self, key: Any) -> Any:
        raise AirflowException("chordflow does not provide outlet_events (extra data on asset "
                               "events)")

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def context_get_outlet_events(context: Mapping[str, Any]) -> Any:
    """The context's outlet event accessors (outside a try: refused when used)."""
    return context.get("outlet_events") or _NoOutletEvents()


class _CallableRunner:
    def __init__(self, func: Callable[..., Any], outlet_events: Any, logger: Any = None) -> None:
        self.func = func
        self.outlet_events = outlet_events
        self.logger = logger

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


def create_executable_runner(func: Callable[..., Any], outlet_events: Any, *,
                             logger: Any = None) -> _CallableRunner:
    """What Airflow's PythonOperator calls its callable through: here, a plain call."""
    return _CallableRunner(func, outlet_events, logger)


ExecutionCallableRunner = create_executable_runner


def context_merge(context: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    """Add to a task's context in place, as `dict.update` (Airflow's `context_merge`)."""
    context.update(*args, **kwargs)


def context_to_airflow_vars(context: Mapping[str, Any], in_env_var_format: bool = False
                            ) -> dict[str, str]:
    """The try's identity as Airflow gives it to subprocesses (`AIRFLOW_CTX_DAG_ID`, ...)."""
    ti = context.get("ti") or context.get("task_instance")
    found: dict[str, str] = {}
    if ti is None:
        return found
    values = {"dag_id": ti.dag_id, "task_id": ti.task_id, "dag_run_id": ti.run_id,
              "try_number": ti.try_number}
    logical = context.get("logical_date")
    if logical is not None:
        values["logical_date"] = logical.isoformat()
    for key, value in values.items():
        if value is None:
            continue
        name = f"AIRFLOW_CTX_{key.upper()}" if in_env_var_format else f"airflow.ctx.{key}"
        found[name] = str(value)
    return found


def exactly_one(*args: Any) -> bool:
    """Exactly one of the arguments is truthy (`airflow.utils.helpers.exactly_one`)."""
    return sum(map(bool, args)) == 1


def at_most_one(*args: Any) -> bool:
    """At most one of the arguments is truthy and not NOTSET."""
    return sum(bool(a) and not isinstance(a, ArgNotSet) for a in args) <= 1


def getuser() -> str:
    """The name of the user running the process (`airflow.utils.platform.getuser`)."""
    import getpass
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a passwd entry, as in many containers
        return str(os.getuid())


def to_boolean(value: Any) -> bool:
    """Airflow's `to_boolean`: 't', 'true', 'y', 'yes', '1' (any case) are true."""
    return str(value).strip().lower() in ("t", "true", "y", "yes", "1") if value is not None \
        else False


def chain_linear(*elements: Any) -> None:
    """Every task of each element upstream of every task of the next one."""
    if len(elements) < 2:
        raise ValueError("chain_linear() requires at least two elements")
    for left, right in zip(elements, elements[1:]):
        downstream = _tasks_of(right)
        for task in _tasks_of(left):
            task.set_downstream(downstream)


@dataclasses.dataclass(frozen=True)
class AirflowParsingContext:
    """What `get_parsing_context()` returns: no particular DAG or task is being parsed."""

    dag_id: str | None = None
    task_id: str | None = None


def get_parsing_context() -> AirflowParsingContext:
    """chordflow always parses whole files, so neither dag_id nor task_id is set."""
    return AirflowParsingContext()


class ArgNotSet:
    """The type of `NOTSET`: an argument that was not given."""

    def __repr__(self) -> str:
        return "NOTSET"


NOTSET = ArgNotSet()
SET_DURING_EXECUTION = ArgNotSet()


def is_arg_set(value: Any) -> bool:
    return not isinstance(value, ArgNotSet)


class SkipMixin:
    """Airflow's skip helpers for operators that skip their downstream themselves: as in
    Airflow 3 they raise `DownstreamTasksSkipped`, which ends the try successfully and
    skips those tasks (only tasks downstream of it; naming another fails the try)."""

    def skip(self, ti: Any, tasks: Any) -> None:
        ids = [getattr(t, "task_id", t) for t in tasks]
        if ids:
            raise DownstreamTasksSkipped(tasks=ids)

    def skip_all_except(self, ti: Any, branch_task_ids: Any) -> None:
        chosen = {branch_task_ids} if isinstance(branch_task_ids, str) else set(
            branch_task_ids or ())
        task = getattr(ti, "task", None) or self
        followed = set(chosen)
        for task_id in chosen:
            if task.dag is not None and task_id in task.dag.task_dict:
                followed |= task.dag.task_dict[task_id].get_flat_relative_ids()
        ids = [t.task_id for t in task.get_direct_relatives() if t.task_id not in followed]
        if ids:
            raise DownstreamTasksSkipped(tasks=ids)


# airflow.sdk.module_loading / airflow.utils.module_loading
def import_string(dotted_path: str) -> Any:
    """The attribute a dotted path names (`package.module.Name`), as Airflow's."""
    module_path, _, attr = dotted_path.rpartition(".")
    if not module_path:
        raise ImportError(f"{dotted_path} doesn't look like a module path")
    module = importlib.import_module(module_path)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(f'Module "{module_path}" does not define a "{attr}" attribute')


def qualname(obj: Any) -> str:
    """`module.QualifiedName` of a class, function or instance."""
    if not isinstance(obj, type) and not callable(obj):
        obj = type(obj)
    return f"{obj.__module__}.{obj.__qualname__}"


def iter_namespace(namespace: Any) -> Any:
    """The modules of a package, as `pkgutil.iter_modules` gives them, with full names."""
    return pkgutil.iter_modules(namespace.__path__, namespace.__name__ + ".")


__all__ = ["Context", "apply_defaults", "merge_dicts", "determine_kwargs", "to_boolean", "LoggingMixin",
           "chain_linear", "AirflowParsingContext", "get_parsing_context", "ArgNotSet", "NOTSET",
           "BaseTrigger", "BaseEventTrigger", "TriggerEvent", "StartTriggerArgs",
           "SkipMixin", "exactly_one", "at_most_one", "getuser", "KeywordParameters", "context_get_outlet_events",
           "create_executable_runner", "ExecutionCallableRunner", "md5", "get_unique_dag_module_name", "context_merge", "context_to_airflow_vars",
           "SET_DURING_EXECUTION", "is_arg_set",
           "import_string", "qualname", "iter_namespace", *TIMEZONE_NAMES]
