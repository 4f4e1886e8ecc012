"""BaseOperator: one unit of work of a DAG, with Airflow's arguments and `>>` / `<<`."""
from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from cluster.sdk import params as param_values
from cluster.sdk.exceptions import TaskDeferred
from cluster.sdk.assets import outlet_assets
from cluster.sdk.dag import DAG, check_id, current_dag
from cluster.sdk.deferral import default_resume
from cluster.errors import DagDefinitionError, UnsupportedFeatureError
from cluster.sdk.retry_policy import RetryPolicy
from cluster.sdk.setup_teardown import SetupTeardownMixin
from cluster.sdk.task_group import TaskGroup, current_group
from cluster.sdk.trigger_rules import TriggerRule
from cluster.sdk.operators.arguments import (IGNORED_ARGS, apply_default_args, seconds_of,
                                            task_date, task_logger)
from cluster.sdk.xcom_arg import XComArg

if TYPE_CHECKING:
    from cluster.sdk.expand import OperatorPartial

# Airflow's weight rules: how a task's effective priority adds up its relatives' weights.
WEIGHT_RULES = ("downstream", "upstream", "absolute")


class BaseOperator(SetupTeardownMixin):
    """A task of a DAG. Subclasses implement `execute(context)`.

    Parameters:
      task_id: unique within the DAG.
      retries / retry_delay / retry_exponential_backoff / max_retry_delay: retry policy.
      execution_timeout: a try that runs longer fails.
      trigger_rule: when the task runs given its upstreams' states (`all_success`).
      queue / pool / priority_weight: where and in which order it runs.
      do_xcom_push: store the return value of `execute` as XCom `return_value`.
    """

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()
    template_fields_renderers: dict[str, str] = {}
    ui_color = "#fff"
    # Operators that start their own container run in the worker even with a container
    # runner; wrapping them in the runtime image would need the Docker socket inside it.
    runs_own_container = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = apply_default_args(cls.__dict__["__init__"])  # type: ignore[misc]

    def __init__(
        self,
        task_id: str,
        dag: DAG | None = None,
        retries: int = 0,
        retry_delay: dt.timedelta | float = dt.timedelta(seconds=300),
        retry_exponential_backoff: bool = False,
        max_retry_delay: dt.timedelta | float | None = None,
        execution_timeout: dt.timedelta | float | None = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        depends_on_past: bool = False,
        wait_for_downstream: bool = False,
        ignore_first_depends_on_past: bool = True,
        queue: str | None = None,
        pool: str | None = None,
        pool_slots: int = 1,
        priority_weight: int = 1,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        params: dict[str, Any] | None = None,
        on_success_callback: Callable | None = None,
        on_failure_callback: Callable | None = None,
        on_retry_callback: Callable | None = None,
        max_active_tis_per_dag: int | None = None,
        task_concurrency: int | None = None,
        default_args: dict[str, Any] | None = None,
        task_group: TaskGroup | None = None,
        max_active_tis_per_dagrun: int | None = None,
        weight_rule: str = "downstream",
        start_date: dt.datetime | None = None,
        end_date: dt.datetime | None = None,
        on_execute_callback: Callable | None = None,
        on_skipped_callback: Callable | None = None,
        executor_config: dict[str, Any] | None = None,
        retry_policy: RetryPolicy | None = None,
        pre_execute: Callable | None = None,
        post_execute: Callable | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - IGNORED_ARGS)
        if unknown:
            raise UnsupportedFeatureError(
                f"{type(self).__name__}({task_id!r}): argument(s) not supported by "
                f"chordflow: {', '.join(unknown)}"
            )
        check_id("task_id", task_id)
        owner = dag or (task_group.dag if task_group is not None else None) or current_dag()
        group = task_group if task_group is not None else current_group()
        if group is not None and owner is not None and group.dag is not owner:
            group = None  # a task given another DAG explicitly is not in this DAG's group
        self.task_group = group
        self.task_id = group.child_id(task_id) if group is not None else task_id
        if group is not None:
            check_id("task_id", self.task_id)
        self.retries = int(retries or 0)
        if self.retries < 0:
            raise DagDefinitionError(f"task {task_id!r}: retries must be 0 or more, got {retries!r}")
        self.retry_delay = seconds_of(retry_delay) or 0.0
        self.retry_exponential_backoff = bool(retry_exponential_backoff)
        self.max_retry_delay = seconds_of(max_retry_delay)
        self.execution_timeout = seconds_of(execution_timeout)
        self.trigger_rule = TriggerRule(trigger_rule)
        # As Airflow: waiting for the previous run's downstream implies depending on it.
        self.wait_for_downstream = bool(wait_for_downstream)
        self.depends_on_past = bool(depends_on_past) or self.wait_for_downstream
        self.ignore_first_depends_on_past = bool(ignore_first_depends_on_past)
        self.queue = queue
        self.pool = pool
        self.pool_slots = pool_slots
        self.priority_weight = priority_weight
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.params = param_values.raw(params)
        param_values.check_defaults(f"task {task_id!r}", self.params)
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.on_retry_callback = on_retry_callback
        self.outlets = outlet_assets(f"task {task_id!r}", kwargs.get("outlets"))
        self.inlets = outlet_assets(f"task {task_id!r}", kwargs.get("inlets"), "inlets")
        self.max_active_tis_per_dag = max_active_tis_per_dag or task_concurrency
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        for name, limit in (("max_active_tis_per_dag", self.max_active_tis_per_dag),
                            ("max_active_tis_per_dagrun", max_active_tis_per_dagrun)):
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                raise DagDefinitionError(
                    f"task {task_id!r}: {name} must be a positive integer, got {limit!r}")
        self.weight_rule = str(getattr(weight_rule, "value", weight_rule))
        if self.weight_rule not in WEIGHT_RULES:
            raise UnsupportedFeatureError(
                f"{type(self).__name__}({task_id!r}): weight_rule={weight_rule!r} is not "
                f"supported by chordflow (use one of {', '.join(WEIGHT_RULES)})")
        if executor_config:
            raise UnsupportedFeatureError(
                f"{type(self).__name__}({task_id!r}): executor_config is not supported by "
                "chordflow (it configures Airflow's executors; set the container's image and "
                "resources on the task, e.g. with DockerOperator or KubernetesPodOperator)")
        # A run whose logical date is outside them skips the task (backfills excepted).
        self.start_date = task_date(task_id, "start_date", start_date)
        self.end_date = task_date(task_id, "end_date", end_date)
        self.on_execute_callback = on_execute_callback
        for name, hook in (("pre_execute", pre_execute), ("post_execute", post_execute)):
            if hook is not None and not callable(hook):
                raise DagDefinitionError(f"task {task_id!r}: {name} must be callable")
        self._pre_execute_hook, self._post_execute_hook = pre_execute, post_execute
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise DagDefinitionError(f"task {task_id!r}: retry_policy must be a RetryPolicy "
                                     f"(e.g. ExceptionRetryPolicy), got {retry_policy!r}")
        self.retry_policy = retry_policy
        self.on_skipped_callback = on_skipped_callback
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.dag: DAG | None = None
        if owner is not None:
            self.dag = owner
            owner.add_task(self)
        if group is not None:
            group.add(self)

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"

    @property
    def dag_id(self) -> str | None:
        return self.dag.dag_id if self.dag else None

    @property
    def log(self) -> logging.Logger:
        """Airflow's `self.log`: records at INFO and above land in the task's log."""
        return task_logger(type(self))

    @property
    def operator_name(self) -> str:
        return type(self).__name__

    @classmethod
    def partial(cls, **kwargs: Any) -> "OperatorPartial":
        """Airflow's dynamic task mapping: fix these arguments, then `.expand(...)` the rest."""
        from cluster.sdk.expand import OperatorPartial

        return OperatorPartial(cls, kwargs)

    @property
    def output(self) -> XComArg:
        """The task's return value as an argument of other tasks (Airflow's `.output`)."""
        return XComArg(self)

    @property
    def is_mapped(self) -> bool:
        return getattr(self, "_expand_input", None) is not None

    def execute(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement execute()")

    def render_template_fields(self, context: dict[str, Any], jinja_env: Any = None) -> None:
        """Render this task's template fields in place (Airflow's; operators that set a
        field while they execute render again, as the standard provider's `@task.bash`)."""
        from cluster.sdk.templating import render_fields

        render_fields(self, context, jinja_env=jinja_env)

    def pre_execute(self, context: dict[str, Any]) -> None:
        """Right before `execute`: the `pre_execute=` callable, as in Airflow."""
        if self._pre_execute_hook is not None:
            self._pre_execute_hook(context)

    def post_execute(self, context: dict[str, Any], result: Any = None) -> None:
        """Right after a successful `execute`: the `post_execute=` callable (context, result)."""
        if self._post_execute_hook is not None:
            self._post_execute_hook(context, result)

    def defer(self, *, trigger: Any, method_name: str, kwargs: dict[str, Any] | None = None,
              timeout: dt.timedelta | float | None = None) -> None:
        """Wait for `trigger`'s first event, then go on in `method_name(context, event=...)`
        (cluster/sdk/deferral.py: the try waits itself, there is no triggerer)."""
        raise TaskDeferred(trigger=trigger, method_name=method_name, kwargs=kwargs,
                           timeout=timeout)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None,
                         context: dict[str, Any]) -> Any:
        """Go on after a deferral: `next_method(context, **next_kwargs)`, as in Airflow."""
        return default_resume(self, next_method, next_kwargs, context)

    def on_kill(self) -> None:
        """Called when the try is stopped while it runs (cancelled, timed out, cleared):
        override to clean up what `execute` started elsewhere, as in Airflow."""

    # -- dependencies ------------------------------------------------------------
    def set_downstream(self, other: "DependencyLike") -> None:
        for task in _tasks_of(other, "roots"):
            self._relate(upstream=self, downstream=task)

    def set_upstream(self, other: "DependencyLike") -> None:
        for task in _tasks_of(other, "leaves"):
            self._relate(upstream=task, downstream=self)

    @staticmethod
    def _relate(upstream: "BaseOperator", downstream: "BaseOperator") -> None:
        if upstream is downstream:
            raise DagDefinitionError(f"task {upstream.task_id!r} cannot depend on itself")
        dag = upstream.dag or downstream.dag
        if dag is None:
            raise DagDefinitionError(
                f"tasks {upstream.task_id!r} and {downstream.task_id!r} belong to no DAG"
            )
        for task in (upstream, downstream):
            if task.dag is None:
                task.dag = dag
                dag.add_task(task)
            elif task.dag is not dag:
                raise DagDefinitionError(
                    f"tasks {upstream.task_id!r} and {downstream.task_id!r} are in "
                    f"different DAGs"
                )
        upstream.downstream_task_ids.add(downstream.task_id)
        downstream.upstream_task_ids.add(upstream.task_id)

    def __rshift__(self, other: "DependencyLike") -> "DependencyLike":
        if getattr(other, "is_edge_modifier", False):
            return NotImplemented  # `a >> Label("x")`: the label relates a to what follows
        self.set_downstream(other)
        return other

    def __lshift__(self, other: "DependencyLike") -> "DependencyLike":
        if getattr(other, "is_edge_modifier", False):
            return NotImplemented
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: "DependencyLike") -> "BaseOperator":
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: "DependencyLike") -> "BaseOperator":
        self.set_downstream(other)
        return self

    # -- helpers operators use -------------------------------------------------
    def get_direct_relatives(self, upstream: bool = False) -> list["BaseOperator"]:
        """The tasks directly upstream (or downstream) of this one, as Airflow's."""
        ids = self.upstream_task_ids if upstream else self.downstream_task_ids
        return [self.dag.task_dict[t] for t in sorted(ids)] if self.dag is not None else []

    def get_flat_relative_ids(self, upstream: bool = False) -> set[str]:
        """Every task id upstream (or downstream) of this one, however far."""
        found: set[str] = set()
        todo = [self]
        while todo:
            for task in todo.pop().get_direct_relatives(upstream):
                if task.task_id not in found:
                    found.add(task.task_id)
                    todo.append(task)
        return found

    def get_flat_relatives(self, upstream: bool = False) -> list["BaseOperator"]:
        if self.dag is None:
            return []
        return [self.dag.task_dict[t] for t in sorted(self.get_flat_relative_ids(upstream))]

    def xcom_push(self, context: dict[str, Any], key: str, value: Any) -> None:
        context["ti"].xcom_push(key=key, value=value)

    def xcom_pull(self, context: dict[str, Any], task_ids: Any = None, key: str = "return_value") -> Any:
        return context["ti"].xcom_pull(task_ids=task_ids, key=key)


BaseOperator.__init__ = apply_default_args(BaseOperator.__init__)  # type: ignore[misc]


DependencyLike = Any


def _tasks_of(other: Any, side: str = "leaves") -> list[BaseOperator]:
    """Operators named by a `>>` operand: a task, an XComArg, a task group (its roots or
    its leaves, by `side`), or a list of them."""
    if isinstance(other, BaseOperator):
        return [other]
    if isinstance(other, TaskGroup):
        return other.get_roots() if side == "roots" else other.get_leaves()
    operator = getattr(other, "operator", None)
    if isinstance(operator, BaseOperator):
        return [operator]
    if isinstance(other, Iterable) and not isinstance(other, (str, bytes)):
        out: list[BaseOperator] = []
        for item in other:
            out.extend(_tasks_of(item, side))
        return out
    raise DagDefinitionError(f"cannot set a dependency on {other!r}")


def chain(*elements: Any) -> None:
    """`chain(a, [b, c], d)`: a >> [b, c] >> d; two lists side by side pair up one to one."""
    for left, right in zip(elements, elements[1:]):
        left_is_list = isinstance(left, (list, tuple))
        right_is_list = isinstance(right, (list, tuple))
        if left_is_list and right_is_list:
            if len(left) != len(right):
                raise DagDefinitionError(
                    f"chain(): lists side by side must have the same length "
                    f"({len(left)} != {len(right)})"
                )
            for up, down in zip(left, right):
                for task in _tasks_of(up):
                    task.set_downstream(down)
        elif left_is_list:
            for up in left:
                for task in _tasks_of(up):
                    task.set_downstream(right)
        else:
            for task in _tasks_of(left):
                task.set_downstream(right)


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Sequence[Any]) -> None:
    """Every task of `from_tasks` upstream of every task of `to_tasks`."""
    for up in from_tasks:
        for task in _tasks_of(up):
            task.set_downstream(list(to_tasks))
