"""TaskGroup and `@task_group`: tasks gathered under one id prefix, with shared defaults.

As in Airflow, a group only shapes ids, defaults and dependencies while the DAG is
built: `group_a >> group_b` makes every leaf of `group_a` upstream of every root of
`group_b`, and the compiled DAG holds only those task-to-task edges.
"""
from __future__ import annotations

import contextvars
import copy
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterator

from cluster.sdk.dag import DAG, check_id, current_dag
from cluster.errors import DagDefinitionError, DuplicateTaskIdError
from cluster.sdk.mapped_group import TaskGroupPartial
from cluster.sdk.setup_teardown import group_leaves

if TYPE_CHECKING:
    from cluster.sdk.operators.base import BaseOperator

_current_groups: contextvars.ContextVar[tuple["TaskGroup", ...]] = contextvars.ContextVar(
    "chordflow_current_task_groups", default=()
)


class TaskGroup:
    """A named group of tasks (Airflow's `airflow.utils.task_group.TaskGroup`).

    Parameters:
      group_id: unique in the DAG among task and group ids.
      prefix_group_id: prefix the ids of the tasks and groups inside with `group_id.`
        (True by default).
      parent_group: the enclosing group (the one of the surrounding `with` by default).
      default_args: defaults for the operators inside, over the DAG's and the parent's.
      tooltip: the group's description, kept with the DAG's serialized structure.
      add_suffix_on_collision: add `__1`, `__2`, ... when the id is taken (as `@task_group`).
    """

    def __init__(
        self,
        group_id: str,
        prefix_group_id: bool = True,
        parent_group: "TaskGroup | None" = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str | None = None,
    ) -> None:
        check_id("group_id", group_id)
        self.parent_group = parent_group if parent_group is not None else current_group()
        self.dag = dag or (self.parent_group.dag if self.parent_group else None) or current_dag()
        if self.dag is None:
            raise DagDefinitionError(f"TaskGroup {group_id!r} must be created inside a DAG "
                                     "(or be given dag=)")
        self.prefix_group_id = prefix_group_id
        self._label = group_id
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.group_display_name = group_display_name or group_id
        taken = self.dag.task_group_dict
        if self.group_id in taken or self.dag.has_task(self.group_id):
            if not add_suffix_on_collision:
                raise DuplicateTaskIdError(
                    f"DAG {self.dag.dag_id!r}: group id {self.group_id!r} is already used")
            base, n = self._label, 1
            while True:
                self._label = f"{base}__{n}"
                if self.group_id not in taken and not self.dag.has_task(self.group_id):
                    break
                n += 1
        self.default_args = copy.deepcopy(self.dag.default_args)
        if self.parent_group is not None:
            self.default_args.update(self.parent_group.default_args)
        self.default_args.update(default_args or {})
        self.task_ids: list[str] = []  # tasks directly in this group, in creation order
        self.children: list[TaskGroup] = []
        if self.parent_group is not None:
            self.parent_group.children.append(self)
        taken[self.group_id] = self
        self._token: contextvars.Token | None = None

    @property
    def group_id(self) -> str:
        """The full id: the label with the prefixes of the enclosing groups."""
        if self.parent_group is not None:
            return self.parent_group.child_id(self._label)
        return self._label

    @property
    def label(self) -> str:
        return self._label

    def child_id(self, label: str) -> str:
        """The id a task or group labelled `label` gets inside this group."""
        return f"{self.group_id}.{label}" if self.prefix_group_id else label

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"

    # -- with TaskGroup(...): tasks and groups created inside belong to it --------------
    def __enter__(self) -> "TaskGroup":
        self._token = _current_groups.set(_current_groups.get() + (self,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current_groups.reset(self._token)
            self._token = None

    # -- members -------------------------------------------------------------------------
    def add(self, task: "BaseOperator") -> None:
        self.task_ids.append(task.task_id)

    def iter_task_ids(self) -> Iterator[str]:
        """Every task of the group and of its nested groups."""
        yield from self.task_ids
        for child in self.children:
            yield from child.iter_task_ids()

    def iter_tasks(self) -> Iterator["BaseOperator"]:
        for task_id in self.iter_task_ids():
            yield self.dag.task_dict[task_id]

    def get_roots(self) -> list["BaseOperator"]:
        """The group's tasks with no upstream inside the group."""
        inside = set(self.iter_task_ids())
        return [t for t in self.iter_tasks() if not (t.upstream_task_ids & inside)]

    def get_leaves(self) -> list["BaseOperator"]:
        """The group's tasks with no downstream inside the group; a teardown is not one,
        the last work task before it is (as in Airflow)."""
        leaves: list["BaseOperator"] = []
        for task in group_leaves(list(self.iter_tasks())):
            if task not in leaves:
                leaves.append(task)
        return leaves

    @property
    def roots(self) -> list["BaseOperator"]:
        return self.get_roots()

    @property
    def leaves(self) -> list["BaseOperator"]:
        return self.get_leaves()

    # -- dependencies: leaves of the upstream side before roots of the downstream side ---
    def set_downstream(self, other: Any) -> None:
        for task in self.get_leaves():
            task.set_downstream(other)

    def set_upstream(self, other: Any) -> None:
        for task in self.get_roots():
            task.set_upstream(other)

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> "TaskGroup":
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> "TaskGroup":
        self.set_downstream(other)
        return self


def current_group() -> TaskGroup | None:
    stack = _current_groups.get()
    return stack[-1] if stack else None


def group_default_args(dag: DAG | None) -> dict[str, Any]:
    """The defaults an operator created now gets: its DAG's, overridden by its groups'."""
    group = current_group()
    if group is not None and (dag is None or group.dag is dag):
        return dict(group.default_args)
    return dict(dag.default_args) if dag is not None else {}


class _TaskGroupDecorator:
    """What `@task_group` returns: each call builds a new group around the function's body."""

    def __init__(self, fn: Callable, **group_kwargs: Any) -> None:
        functools.update_wrapper(self, fn)
        self.function = fn
        self.group_kwargs = group_kwargs

    def override(self, **kwargs: Any) -> "_TaskGroupDecorator":
        return _TaskGroupDecorator(self.function, **{**self.group_kwargs, **kwargs})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        group, returned = self._build(args, kwargs)
        # As Airflow: a returned task (or XComArg) is what dependencies bind to, so
        # `start >> my_group() >> end` links to the function's result; otherwise the group.
        if returned is not None and _is_node(returned):
            return returned
        return group

    def _build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple["TaskGroup", Any]:
        options = dict(self.group_kwargs)
        group_id = options.pop("group_id", None) or self.function.__name__
        options.setdefault("add_suffix_on_collision", True)
        if "tooltip" not in options and self.function.__doc__:
            options["tooltip"] = self.function.__doc__.strip()
        with TaskGroup(group_id, **options) as group:
            returned = self.function(*args, **kwargs)
        return group, returned if returned is not None and _is_node(returned) else None

    # -- mapped task groups (cluster/sdk/mapped_group.py) ------------------------------------
    def partial(self, **kwargs: Any) -> TaskGroupPartial:
        return TaskGroupPartial(self, kwargs, lambda arguments: self._build((), arguments))

    def expand(self, **mapped: Any) -> Any:
        return self.partial().expand(**mapped)

    def expand_kwargs(self, kwargs: Any) -> Any:
        return self.partial().expand_kwargs(kwargs)


def _is_node(value: Any) -> bool:
    """A task, an XComArg or a group: something `>>` accepts."""
    return isinstance(value, TaskGroup) or hasattr(value, "set_downstream") or \
        hasattr(getattr(value, "operator", None), "set_downstream")


def task_group(python_callable: Callable | None = None, **group_kwargs: Any) -> Any:
    """`@task_group` / `@task_group(group_id=..., default_args=..., ...)`."""
    if python_callable is not None and callable(python_callable):
        return _TaskGroupDecorator(python_callable, **group_kwargs)
    if python_callable is not None:  # @task_group("name"): the group id positionally
        group_kwargs["group_id"] = python_callable
    return lambda fn: _TaskGroupDecorator(fn, **group_kwargs)


__all__ = ["TaskGroup", "task_group"]
