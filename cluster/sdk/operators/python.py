"""PythonOperator and TaskFlow's `@task`: a Python callable as a task."""
from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, Sequence

from cluster.sdk.asset_events import run_generator
from cluster.sdk.context_var import get_current_context  # noqa: F401  (Airflow offers it here)
from cluster.sdk.dag import current_dag
from cluster.sdk.task_group import current_group
from cluster.sdk.xcom_arg import XComArg, resolve_xcom_args
from cluster.sdk.operators.base import BaseOperator

if TYPE_CHECKING:
    from cluster.sdk.expand import TaskFlowPartial


class PythonOperator(BaseOperator):
    """Calls `python_callable(*op_args, **op_kwargs)`; context names it asks for are passed.

    Parameters:
      python_callable: the function to call.
      op_args / op_kwargs: its arguments (templated; TaskFlow passes XComArgs here).
      templates_dict: rendered and passed as the context entry `templates_dict`.
      templates_exts: file extensions (e.g. [".sql"]): a templated string ending in one
        names a template file (beside the DAG file or on `template_searchpath`), whose
        rendered text is the value.
    """

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        python_callable: Callable,
        op_args: Sequence[Any] | None = None,
        op_kwargs: dict[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        show_return_value_in_logs: bool = True,
        provide_context: bool | None = None,
        **kwargs: Any,
    ) -> None:
        call = callable_args(python_callable, op_args, op_kwargs)
        super().__init__(**kwargs)
        self.python_callable, self.op_args, self.op_kwargs = call
        self.templates_dict = templates_dict
        if templates_exts:
            if isinstance(templates_exts, str):
                templates_exts = [templates_exts]
            self.template_ext = tuple(templates_exts)
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context: dict[str, Any]) -> Any:
        args = resolve_xcom_args(self.op_args, context)
        kwargs = resolve_xcom_args(self.op_kwargs, context)
        context = {**context, "templates_dict": self.templates_dict}
        result = run_generator(self.python_callable, context.get("outlet_events"), args,
                               context_kwargs(self.python_callable, context, kwargs))
        if self.show_return_value_in_logs:
            self.log.info("Done. Returned value was: %s", result)
        else:
            self.log.info("Done. Returned value not shown")
        return result


def callable_args(python_callable: Callable, op_args: Sequence[Any] | None,
                  op_kwargs: dict[str, Any] | None) -> tuple[Callable, list[Any], dict[str, Any]]:
    """A Python task's callable and its arguments, checked (PythonOperator, PythonSensor)."""
    if not callable(python_callable):
        raise TypeError("python_callable must be callable")
    return python_callable, list(op_args or []), dict(op_kwargs or {})


def context_kwargs(fn: Callable, context: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` plus the context entries `fn` names (all of them if it takes **kwargs)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {**context, **given}
    wanted = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {**{k: v for k, v in context.items() if k in wanted}, **given}


class _TaskDecorator:
    """What `@task` returns: calling it inside a DAG adds a task and returns its XComArg."""

    operator_class: type[BaseOperator] = PythonOperator

    # set by `@setup` / `@teardown` (Airflow's setup_task / teardown_task)
    is_setup = False
    is_teardown = False
    on_failure_fail_dagrun = False

    def __init__(self, fn: Callable, operator_class: type[BaseOperator] | None = None,
                 **operator_kwargs: Any) -> None:
        functools.update_wrapper(self, fn)
        self.function = fn
        if operator_class is not None:
            self.operator_class = operator_class
        self.operator_kwargs = operator_kwargs

    def override(self, **kwargs: Any) -> "_TaskDecorator":
        copy = _TaskDecorator(self.function, self.operator_class,
                              **{**self.operator_kwargs, **kwargs})
        copy.is_setup, copy.is_teardown = self.is_setup, self.is_teardown
        copy.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        return copy

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        operator = self._operator(list(args), kwargs)
        if self.is_setup:
            operator.as_setup()
        if self.is_teardown:
            operator.as_teardown(on_failure_fail_dagrun=self.on_failure_fail_dagrun)
        return XComArg(operator)

    def partial(self, **kwargs: Any) -> "TaskFlowPartial":
        """Dynamic task mapping: fix these arguments of the function, `.expand(...)` the rest."""
        from cluster.sdk.expand import TaskFlowPartial

        return TaskFlowPartial(self, kwargs)

    def expand(self, **kwargs: Any) -> XComArg:
        return self.partial().expand(**kwargs)

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        return self.partial().expand_kwargs(kwargs)

    def _operator(self, args: list[Any], kwargs: dict[str, Any]) -> BaseOperator:
        options = dict(self.operator_kwargs)
        task_id = get_unique_task_id(options.pop("task_id", None) or self.function.__name__,
                                     options.get("dag"), options.get("task_group"))
        multiple = options.pop("multiple_outputs", None)
        if multiple is None:
            multiple = _returns_dict(self.function)
        return self.operator_class(
            task_id=task_id, python_callable=self.function, op_args=args,
            op_kwargs=kwargs, multiple_outputs=multiple, **options,
        )


TaskDecorator = _TaskDecorator  # Airflow's name for what a TaskFlow decorator returns


def get_unique_task_id(task_id: str, dag: Any = None, task_group: Any = None) -> str:
    """`task_id`, or `task_id__N` (the next free N) when the DAG has that task already, as
    Airflow names a `@task` used more than once."""
    dag = dag or current_dag()
    group = task_group or current_group()
    full = group.child_id if group is not None else str
    if dag is None or not dag.has_task(full(task_id)):
        return task_id
    n = 1
    while dag.has_task(full(f"{task_id}__{n}")):
        n += 1
    return f"{task_id}__{n}"


class DecoratedOperator(BaseOperator):
    """Airflow's base of TaskFlow operators: a custom decorator's operator is
    `class MyDecorated(DecoratedOperator, MyOperator)`, made a decorator by
    `task_decorator_factory` (the standard provider's `@task` decorators are built so)."""

    template_fields: Sequence[str] = ("op_args", "op_kwargs")
    template_fields_renderers = {"op_args": "py", "op_kwargs": "py"}
    shallow_copy_attrs: Sequence[str] = ("python_callable",)

    def __init__(self, *, python_callable: Callable, task_id: str,
                 op_args: Sequence[Any] | None = None, op_kwargs: dict[str, Any] | None = None,
                 kwargs_to_upstream: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not callable(python_callable):
            raise TypeError(f"python_callable of {task_id} must be callable, not "
                            f"{python_callable!r}")
        task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        super().__init__(task_id=task_id, **(kwargs_to_upstream or {}), **kwargs)


def task_decorator_factory(python_callable: Callable | None = None, *,
                           multiple_outputs: bool | None = None,
                           decorated_operator_class: type[BaseOperator], **kwargs: Any) -> Any:
    """Airflow's maker of TaskFlow decorators: `@my_task` / `@my_task(...)` adds a task of
    `decorated_operator_class` per call, its function's arguments as `op_args`/`op_kwargs`."""
    if python_callable is not None and not callable(python_callable):
        raise TypeError("No args allowed while using @task, use kwargs instead")
    if multiple_outputs is not None:
        kwargs["multiple_outputs"] = multiple_outputs
    if python_callable is not None:
        return _TaskDecorator(python_callable, decorated_operator_class, **kwargs)
    return lambda fn: _TaskDecorator(fn, decorated_operator_class, **kwargs)


def _returns_dict(fn: Callable) -> bool:
    ret = inspect.signature(fn).return_annotation
    return ret is dict or getattr(ret, "__origin__", None) is dict or ret in ("dict", "Dict")


class _TaskFactory:
    """`@task`, `@task(...)`, and `@task.python` — Airflow's TaskFlow decorator."""

    def __call__(self, python_callable: Callable | None = None, **kwargs: Any) -> Any:
        if python_callable is not None and callable(python_callable):
            return _TaskDecorator(python_callable, **kwargs)
        return lambda fn: _TaskDecorator(fn, **kwargs)

    python = property(lambda self: self)

    @property
    def branch(self) -> Callable:
        from cluster.sdk.operators.branch import BranchPythonOperator

        return self._with(BranchPythonOperator)

    @property
    def short_circuit(self) -> Callable:
        from cluster.sdk.operators.branch import ShortCircuitOperator

        return self._with(ShortCircuitOperator)

    @staticmethod
    def _with(operator_class: type[BaseOperator]) -> Callable:
        def deco(python_callable: Callable | None = None, **kwargs: Any) -> Any:
            if python_callable is not None:
                return _TaskDecorator(python_callable, operator_class, **kwargs)
            return lambda fn: _TaskDecorator(fn, operator_class, **kwargs)

        return deco

    @property
    def virtualenv(self) -> Callable:
        from cluster.sdk.operators.virtualenv import PythonVirtualenvOperator

        return self._with(PythonVirtualenvOperator)

    @property
    def external_python(self) -> Callable:
        from cluster.sdk.operators.virtualenv import ExternalPythonOperator

        return self._with(ExternalPythonOperator)

    @property
    def sensor(self) -> Callable:
        from cluster.sdk.sensors.python import DecoratedSensorOperator

        with_sensor = self._with(DecoratedSensorOperator)

        def deco(python_callable: Callable | None = None, **kwargs: Any) -> Any:
            # Airflow's sensor_task fixes multiple_outputs=False: one return value
            if "multiple_outputs" in kwargs:
                raise TypeError("@task.sensor does not take multiple_outputs: a sensor's "
                                "return value is its PokeReturnValue's xcom_value")
            return with_sensor(python_callable, multiple_outputs=False, **kwargs)

        return deco

    @property
    def branch_virtualenv(self) -> Callable:
        from cluster.sdk.operators.virtualenv import BranchPythonVirtualenvOperator

        return self._with(BranchPythonVirtualenvOperator)

    @property
    def branch_external_python(self) -> Callable:
        from cluster.sdk.operators.virtualenv import BranchExternalPythonOperator

        return self._with(BranchExternalPythonOperator)

    @property
    def bash(self) -> Callable:
        from cluster.sdk.operators.bash import _BashDecoratedOperator

        return self._with(_BashDecoratedOperator)


task = _TaskFactory()


def setup(func: Callable) -> Any:
    """`@setup`: the task is a setup (a plain function becomes a `@task` first)."""
    decorated = _as_task(func, "setup")
    decorated.is_setup = True
    return decorated


def teardown(_func: Callable | None = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    """`@teardown` / `@teardown(on_failure_fail_dagrun=True)`: the task is a teardown."""
    def mark(func: Callable) -> Any:
        decorated = _as_task(func, "teardown")
        decorated.is_teardown = True
        decorated.on_failure_fail_dagrun = bool(on_failure_fail_dagrun)
        return decorated

    return mark if _func is None else mark(_func)


def _as_task(func: Callable, what: str) -> "_TaskDecorator":
    if isinstance(func, _TaskDecorator):
        return func
    if inspect.isfunction(func):
        return _TaskDecorator(func)
    raise TypeError(f"@{what} marks a function or a @task, not {func!r} (task groups cannot "
                    "be marked as setup or teardown)")
