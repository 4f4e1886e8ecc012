"""Mapped task groups: `@task_group` `.partial(...)` / `.expand(...)` / `.expand_kwargs(...)`.

As in Airflow, the group's function is called once, with a `MappedArgument` for each
mapped parameter, and every task it builds is mapped over the group's input: each task
of the group gets one mapped task instance per index, which takes that index's values
where the function passed a MappedArgument, and reads the XComs of the group's other tasks
at its own index (`ti.xcom_pull`, TaskFlow arguments). Outside the group, a task's output
is the list of all its indexes' values, as for any mapped task.

Each task of the group is expanded when its upstreams in the group are final (the same
machinery as a mapped task, workers/mapped_delivery.py), so index 1 of the group's second task
waits for every index of the first, where Airflow would start it after index 1 alone.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from cluster.errors import DagDefinitionError, UnsupportedFeatureError
from cluster.sdk.expand import GROUP, ExpandInput, MappedArgument, TaskFlowPartial, attach, is_mapped


class TaskGroupPartial(TaskFlowPartial):
    """`@task_group` function `.partial(**fixed)`: a group waiting for `.expand(...)`.

    Parameters:
      decorator: the `@task_group`-decorated function; `build(args, kwargs)` makes one
        group from it and returns (the group, what the function returned).
      kwargs: the function's arguments every index shares.
    """

    def __init__(self, decorator: Any, kwargs: dict[str, Any],
                 build: Callable[[dict[str, Any]], tuple[Any, Any]]) -> None:
        super().__init__(decorator, kwargs)
        self.name = f"@task_group {decorator.function.__name__}"
        self.build = build

    def _create(self, expand: ExpandInput) -> Any:
        params = inspect.signature(self.decorator.function).parameters
        if expand.kind == "expand":
            names = {n: inspect.Parameter.empty for n in expand.value}
        else:  # one dict per index: every parameter not fixed by partial() may come in it
            names = {n: p.default for n, p in params.items()
                     if n not in self.kwargs and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                            p.KEYWORD_ONLY)}
        arguments = {**self.kwargs,
                     **{n: MappedArgument(n, default) for n, default in names.items()}}
        group, returned = self.build(arguments)
        map_group(group, ExpandInput(expand.kind, expand.value, GROUP))
        return returned if returned is not None else group


def map_group(group: Any, expand: ExpandInput) -> None:
    """Map every task of `group` (nested groups included) over `expand`."""
    tasks = list(group.iter_tasks())
    if not tasks:
        raise DagDefinitionError(f"mapped task group {group.group_id!r} holds no tasks")
    for task in tasks:
        if is_mapped(task):
            raise UnsupportedFeatureError(
                f"mapped task group {group.group_id!r}: its task {task.task_id!r} is mapped "
                "itself (a mapped task or mapped task group inside a mapped task group is "
                "not supported by chordflow)")
    ids = frozenset(t.task_id for t in tasks)
    for task in tasks:
        task._mapped_group_tasks = ids  # type: ignore[attr-defined]
        attach(task, expand)
