"""Setup and teardown tasks, as in Airflow 2.7+: marking them, scoping work between them,
and the pure questions the worker and the store ask about them.

A teardown runs once its setups ran, even when the work between them failed (trigger
rule `all_done_setup_success`); its failure does not fail the run unless it says
`on_failure_fail_dagrun=True`, since a run's state comes from its effective leaves.
"""
from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from cluster.errors import DagDefinitionError
from cluster.sdk.trigger_rules import TriggerRule

if TYPE_CHECKING:
    from cluster.sdk.dag import DAG
    from cluster.sdk.operators.base import BaseOperator


class _Scope:
    """One open `with <setup or teardown>:` block and the tasks created inside it."""

    def __init__(self, setups: list["BaseOperator"], teardowns: list["BaseOperator"]) -> None:
        self.setups, self.teardowns = setups, teardowns
        self.own = {t.task_id for t in setups + teardowns}
        self.tasks: list["BaseOperator"] = []


_scopes: contextvars.ContextVar[tuple[_Scope, ...]] = contextvars.ContextVar(
    "chordflow_setup_teardown_scopes", default=())


class SetupTeardownMixin:
    """What a task offers for setup/teardown: `as_setup()`, `as_teardown(...)`, and use as
    a context manager (`with teardown_task:`), whose block's work runs between them."""

    is_setup: bool = False
    is_teardown: bool = False
    _on_failure_fail_dagrun: bool = False

    @property
    def on_failure_fail_dagrun(self) -> bool:
        return self._on_failure_fail_dagrun

    @on_failure_fail_dagrun.setter
    def on_failure_fail_dagrun(self, value: bool) -> None:
        if value is True and self.is_teardown is not True:
            raise DagDefinitionError(
                f"Cannot set task on_failure_fail_dagrun for {self.task_id!r} because it is "
                "not a teardown task.")
        self._on_failure_fail_dagrun = bool(value)

    def as_setup(self) -> Any:
        """Mark this task a setup; returns it."""
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None
                    ) -> Any:
        """Mark this task a teardown (trigger rule `all_done_setup_success`) of `setups`
        (a task, an XComArg or a list), which become setups upstream of it; returns it."""
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for setup in _operators(setups):
                setup.is_setup = True
                setup >> self
        return self

    def __enter__(self) -> Any:
        _open_scope(_operators(self))
        return self

    def __exit__(self, *exc: object) -> None:
        _close_scope()


def _operators(value: Any) -> list["BaseOperator"]:
    """The tasks of a task, an XComArg or a list of them."""
    if isinstance(value, (list, tuple)):
        return [op for item in value for op in _operators(item)]
    operator = getattr(value, "operator", value)
    if not hasattr(operator, "is_setup"):
        raise DagDefinitionError(f"not a task: {value!r}")
    return [operator]


def _open_scope(tasks: list["BaseOperator"]) -> None:
    if not tasks or not all(t.is_setup or t.is_teardown for t in tasks):
        raise DagDefinitionError("Only setup/teardown tasks can be used as context managers.")
    setups = [t for t in tasks if t.is_setup]
    teardowns = [t for t in tasks if t.is_teardown]
    dag = tasks[0].dag
    if dag is not None:
        # a teardown's setups, and a setup's teardowns, are part of the scope
        setups += [dag.task_dict[u] for t in teardowns for u in sorted(t.upstream_task_ids)
                   if dag.task_dict[u].is_setup and dag.task_dict[u] not in setups]
        teardowns += [dag.task_dict[d] for t in tasks if t.is_setup
                      for d in sorted(t.downstream_task_ids)
                      if dag.task_dict[d].is_teardown and dag.task_dict[d] not in teardowns]
    _scopes.set(_scopes.get() + (_Scope(setups, teardowns),))


def _close_scope() -> None:
    """The block's work goes between its setups and teardowns, as Airflow sets it: the
    setups before the block's tasks without upstream, the teardowns after those without
    downstream."""
    stack = _scopes.get()
    scope = stack[-1]
    _scopes.set(stack[:-1])
    work = scope.tasks
    if not work:
        return
    roots = [t for t in work if not t.upstream_task_ids] or work[:1]
    leaves = [t for t in work if not t.downstream_task_ids] or work[-1:]
    for setup in scope.setups:
        setup >> roots
    for teardown in scope.teardowns:
        leaves >> teardown


def note_task(task: "BaseOperator") -> None:
    """A task was added to a DAG: it belongs to the open setup/teardown blocks."""
    for scope in _scopes.get():
        if task.task_id not in scope.own and task not in scope.tasks:
            scope.tasks.append(task)


def check(dag: "DAG") -> None:
    """Airflow's rule: what follows a setup directly, other than a teardown, must wait for
    its success (trigger rule `all_success`)."""
    for task in dag.task_dict.values():
        if not task.is_setup:
            continue
        for down_id in task.downstream_task_ids:
            down = dag.task_dict.get(down_id)
            if down is not None and not down.is_teardown and \
                    down.trigger_rule is not TriggerRule.ALL_SUCCESS:
                raise DagDefinitionError(
                    f"DAG {dag.dag_id!r}: setup task {task.task_id!r} must be followed with "
                    f"trigger rule all_success; {down_id!r} has {down.trigger_rule}")


# -- what the store and the worker ask, over a DAG or its serialized tasks -----------------

def _relatives(dag: "DAG", task_id: str, upstream: bool) -> set[str]:
    seen: set[str] = set()
    todo = [task_id]
    while todo:
        task = dag.task_dict[todo.pop()]
        for other in (task.upstream_task_ids if upstream else task.downstream_task_ids):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def relevant_setups(dag: "DAG", task_id: str) -> list[str]:
    """The setups a work task runs in the scope of (Airflow's `get_upstreams_only_setups`):
    every setup upstream of it that has no teardown or a teardown downstream of it."""
    below = _relatives(dag, task_id, upstream=False)
    teardowns_below = {t for t in below if dag.task_dict[t].is_teardown}
    out = []
    for up in sorted(_relatives(dag, task_id, upstream=True)):
        setup = dag.task_dict[up]
        if not setup.is_setup:
            continue
        own = {d for d in setup.downstream_task_ids if dag.task_dict[d].is_teardown}
        if not own or own & teardowns_below:
            out.append(up)
    return out


def teardown_scope(dag: "DAG", task_id: str) -> list[str]:
    """The tasks between a teardown's setups and itself that are not its direct upstreams:
    it waits for them to be done too."""
    task = dag.task_dict[task_id]
    indirect = _relatives(dag, task_id, upstream=True) - task.upstream_task_ids
    scope: set[str] = set()
    for up in task.upstream_task_ids:
        if dag.task_dict[up].is_setup:
            scope |= indirect & _relatives(dag, up, upstream=False)
    return sorted(scope)


def spec_fields(dag: "DAG", task: "BaseOperator") -> dict[str, Any]:
    """What a task's serialized spec says about setup/teardown (only what is set, so
    other DAGs keep their digest)."""
    out: dict[str, Any] = {}
    if task.is_setup:
        out["setup"] = True
    if task.is_teardown:
        out["teardown"] = True
        if task.on_failure_fail_dagrun:
            out["on_failure_fail_dagrun"] = True
        scope = teardown_scope(dag, task.task_id)
        if scope:
            out["teardown_scope"] = scope
    else:
        indirect = [s for s in relevant_setups(dag, task.task_id)
                    if s not in task.upstream_task_ids]
        if indirect:
            out["setup_scope"] = indirect
    setups = sorted(u for u in task.upstream_task_ids if dag.task_dict[u].is_setup)
    if setups and task.trigger_rule is TriggerRule.ALL_DONE_SETUP_SUCCESS:
        out["setups"] = setups
    return out


def effective_leaves(tasks: Iterable[dict[str, Any]]) -> set[str]:
    """The tasks a run's state comes from (Airflow's effective leaves): tasks whose
    downstreams are all ignorable teardowns, teardowns only when they fail the run."""
    tasks = list(tasks)
    index = {t["task_id"]: t for t in tasks}
    downstream: dict[str, list[str]] = {t["task_id"]: [] for t in tasks}
    for t in tasks:
        for u in t["upstream"]:
            downstream[u].append(t["task_id"])

    def counts(t: dict[str, Any]) -> bool:
        return not t.get("teardown") or bool(t.get("on_failure_fail_dagrun"))

    leaves = {tid for tid, t in index.items()
              if counts(t) and all(not counts(index[d]) for d in downstream[tid])}
    return leaves or {tid for tid, downs in downstream.items() if not downs}


def group_leaves(tasks: list["BaseOperator"]) -> Iterator["BaseOperator"]:
    """A task group's leaves as Airflow finds them: a teardown is not one; the last work
    task before it is."""
    ids = {t.task_id for t in tasks}
    dag = tasks[0].dag if tasks else None

    def has_work_downstream(task: "BaseOperator", exclude: str) -> bool:
        return any(d != exclude and d in ids and not dag.task_dict[d].is_teardown
                   for d in task.downstream_task_ids)

    def first_work(task: "BaseOperator") -> Iterator["BaseOperator"]:
        for up_id in sorted(task.upstream_task_ids):
            if up_id not in ids:
                continue
            up = dag.task_dict[up_id]
            if up.is_teardown:
                yield from first_work(up)
            elif task.is_teardown and up.is_setup:
                continue
            elif not has_work_downstream(up, exclude=task.task_id):
                yield up

    for task in tasks:
        if task.downstream_task_ids & ids:
            continue
        if not task.is_teardown:
            yield task
        else:
            yield from first_work(task)


def cleared_with(tasks: Iterable[dict[str, Any]], matched: Iterable[str], downstream: bool,
                 upstream: bool) -> set[str]:
    """What clearing `matched` clears too because of setups and teardowns, as Airflow's
    partial_subset does: a work task brings its relevant setups and their teardowns (all
    upstream setups' teardowns with `upstream`), a setup its teardowns."""
    tasks = list(tasks)
    index = {t["task_id"]: t for t in tasks}
    below: dict[str, list[str]] = {tid: [] for tid in index}
    for t in tasks:
        for u in t["upstream"]:
            below[u].append(t["task_id"])

    def reach(start: str, edges: Any) -> set[str]:
        seen: set[str] = set()
        todo = list(edges(start))
        while todo:
            tid = todo.pop()
            if tid not in seen:
                seen.add(tid)
                todo.extend(edges(tid))
        return seen

    def ups(tid: str) -> list[str]:
        return index[tid]["upstream"]

    def downs(tid: str) -> list[str]:
        return below[tid]

    def teardowns_of(tid: str) -> set[str]:
        return {d for d in below[tid] if index[d].get("teardown") and d != tid}

    out: set[str] = set()
    for tid in matched:
        task = index[tid]
        if task.get("setup") and not downstream:
            out |= teardowns_of(tid)
        above = reach(tid, ups)
        if upstream:
            for up in above:
                if index[up].get("setup"):
                    out |= teardowns_of(up) - {tid}
        elif not task.get("setup"):
            teardowns_below = {d for d in reach(tid, downs) if index[d].get("teardown")}
            for up in above:
                if not index[up].get("setup"):
                    continue
                own = teardowns_of(up)
                if not own or own & teardowns_below:
                    out |= {up} | (own - {tid})
    return out
