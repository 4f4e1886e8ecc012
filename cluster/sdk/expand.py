"""Dynamic task mapping, the authoring side: `.partial(...)`, `.expand(...)`, `.expand_kwargs(...)`.

A mapped task is one ordinary operator of its DAG (one node of the canvas) that carries
an `ExpandInput`; at run time the worker expands it into child task instances with map
indexes 0..n-1, and each child runs the operator with its own values set.
"""
from __future__ import annotations

import dataclasses
import inspect
import itertools
import json
from typing import TYPE_CHECKING, Any, Callable

from cluster.errors import DagDefinitionError, UnsupportedFeatureError
from cluster.sdk.xcom_arg import XComArg, iter_xcom_args

if TYPE_CHECKING:
    from cluster.sdk.operators.base import BaseOperator

# TaskFlow operators take their mapped values into `op_kwargs`; classic ones as attributes;
# the tasks of a mapped task group where the group's function put a MappedArgument.
OP_KWARGS = "op_kwargs"
GROUP = "group"


@dataclasses.dataclass
class ExpandInput:
    """What a mapped task expands over.

    Parameters:
      kind: "expand" (keyword -> list, the cartesian product when several) or
        "expand_kwargs" (one list of keyword dicts).
      value: the keyword -> list-or-XComArg dict, or the list-or-XComArg of dicts.
      target: where a child's values go: OP_KWARGS (TaskFlow), GROUP (in place of the
        MappedArguments of a mapped task group's task) or None (attributes).
    """

    kind: str
    value: Any
    target: str | None = None

    def sources(self) -> dict[str, Any]:
        """The inputs by name (`expand_kwargs` has one, named `*`)."""
        return dict(self.value) if self.kind == "expand" else {"*": self.value}


class MappingError(ValueError):
    """An expand input that cannot be expanded at run time (not a list, wrong items)."""


def serialize(expand: ExpandInput) -> dict[str, Any]:
    """The JSON the store keeps for a mapped task: each input a literal or an XCom reference."""
    def one(value: Any) -> dict[str, Any]:
        if isinstance(value, XComArg):
            return {"kind": "xcom", "task_id": value.operator.task_id, "key": value.key}
        return {"kind": "literal", "value": value}

    return {"kind": expand.kind, "target": expand.target,
            "args": {name: one(v) for name, v in expand.sources().items()}}


def expansion(expand: ExpandInput, pull: Callable[[str, str], Any]) -> list[dict[str, Any]]:
    """Every child's keyword values in map_index order; `pull(task_id, key)` reads an XCom.

    Raises MappingError when an input is not something that can be mapped over.
    """
    def resolve(name: str, value: Any) -> list[Any]:
        if isinstance(value, XComArg):
            got = pull(value.operator.task_id, value.key)
            where = f"the XCom {value.key!r} of {value.operator.task_id!r}"
        else:
            got, where = value, "the literal"
        if isinstance(got, dict) and expand.kind == "expand":
            return [[k, v] for k, v in got.items()]
        if not isinstance(got, (list, tuple)):
            raise MappingError(f"cannot expand {name!r} over {where}: expected a list, "
                               f"got {type(got).__name__}")
        return list(got)

    if expand.kind == "expand_kwargs":
        rows = resolve("expand_kwargs", expand.value)
        bad = [r for r in rows if not isinstance(r, dict)]
        if bad:
            raise MappingError(f"expand_kwargs needs a list of dicts, got an item of type "
                               f"{type(bad[0]).__name__}")
        return [dict(r) for r in rows]
    names = list(expand.value)
    lists = [resolve(n, expand.value[n]) for n in names]
    return [dict(zip(names, combo)) for combo in itertools.product(*lists)]


class MappedArgument:
    """An argument of a mapped task group's function: each mapped index's own value.

    `@task_group` `.expand(num=[1, 2, 3])` calls the function once, with
    `MappedArgument("num")` for `num`; the tasks it builds take it as an argument, and each
    of their mapped task instances gets the value of its own index in its place."""

    def __init__(self, name: str, default: Any = inspect.Parameter.empty) -> None:
        self.name = name
        self.default = default

    def __repr__(self) -> str:
        return f"MappedArgument({self.name!r})"

    def value(self, values: dict[str, Any]) -> Any:
        if self.name in values:
            return values[self.name]
        if self.default is inspect.Parameter.empty:
            raise MappingError(f"the mapped task group's input gives no {self.name!r} "
                               f"(expand_kwargs: each dict must name every argument without "
                               f"a default)")
        return self.default

    def __deepcopy__(self, memo: dict[int, Any]) -> "MappedArgument":
        return self


def _with_values(value: Any, values: dict[str, Any]) -> Any:
    """`value` with every MappedArgument inside replaced by its value (new containers)."""
    if isinstance(value, MappedArgument):
        return value.value(values)
    if isinstance(value, (list, tuple)):
        return type(value)(_with_values(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _with_values(v, values) for k, v in value.items()}
    return value


def holds_mapped_argument(value: Any) -> bool:
    if isinstance(value, MappedArgument):
        return True
    if isinstance(value, (list, tuple, set)):
        return any(holds_mapped_argument(v) for v in value)
    if isinstance(value, dict):
        return any(holds_mapped_argument(v) for v in value.values())
    return False


def group_fields(task: "BaseOperator") -> list[str]:
    """The attributes of a mapped group's task that may hold its MappedArguments."""
    names = list(dict.fromkeys([*getattr(task, "template_fields", ()), "op_args", "op_kwargs"]))
    return [n for n in names if hasattr(task, n)]


def unmap(task: "BaseOperator", values: dict[str, Any]) -> None:
    """Give a (copied) mapped operator one child's values, without touching the original."""
    expand: ExpandInput = task._expand_input  # type: ignore[attr-defined]
    if expand.target == GROUP:
        for name in group_fields(task):
            current = getattr(task, name)
            if holds_mapped_argument(current):
                setattr(task, name, _with_values(current, values))
        return
    if expand.target == OP_KWARGS:
        task.op_kwargs = {**task.op_kwargs, **values}  # type: ignore[attr-defined]
        return
    for name, value in values.items():
        if name == "op_args":
            value = list(value)
        elif name == "op_kwargs":
            value = dict(value)
        setattr(task, name, value)


# -- authoring -----------------------------------------------------------------------------
def init_parameters(cls: type) -> tuple[set[str], set[str]]:
    """(names the operator's constructors accept, names they require), along the MRO."""
    accepted: set[str] = set()
    required: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for name, p in inspect.signature(inspect.unwrap(init)).parameters.items():
            if name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            accepted.add(name)
            if p.default is p.empty:
                required.add(name)
    return accepted, required


class _Placeholder:
    """Stands for a required mapped argument until a child gets its value."""

    def __repr__(self) -> str:
        return "<mapped>"


def check_literal(owner: str, name: str, value: Any, allow_dict: bool = True) -> None:
    """A mapped input must be a list (or a dict for `expand`) or an XComArg, holding JSON."""
    if isinstance(value, XComArg):
        return
    kinds = (list, tuple, dict) if allow_dict else (list, tuple)
    if not isinstance(value, kinds):
        raise DagDefinitionError(
            f"{owner}: expand({name}=...) needs a list{', a dict' if allow_dict else ''} or "
            f"the output of a task, got {type(value).__name__} {value!r}")
    if holds_mapped_argument(value):
        raise UnsupportedFeatureError(f"{owner}: expand({name}=...) over an argument of a "
                                      "mapped task group: a mapped task inside a mapped task "
                                      "group is not supported by chordflow")
    if any(True for _ in iter_xcom_args(value)):
        raise DagDefinitionError(f"{owner}: {name}: a literal to expand over cannot hold "
                                 f"task outputs; expand over the task's output instead")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise DagDefinitionError(f"{owner}: {name}: literal values to expand over must be "
                                 f"JSON (lists, dicts, strings, numbers): {exc}") from None


class OperatorPartial:
    """`SomeOperator.partial(task_id=..., **fixed)`: an operator waiting for `.expand(...)`.

    Parameters:
      operator_class: the operator to map.
      kwargs: the arguments every child shares (must include `task_id`).
    """

    def __init__(self, operator_class: type["BaseOperator"], kwargs: dict[str, Any]) -> None:
        name = operator_class.__name__
        if not kwargs.get("task_id"):
            raise DagDefinitionError(f"{name}.partial() needs a task_id")
        accepted, _ = init_parameters(operator_class)
        self.operator_class = operator_class
        self.kwargs = kwargs
        self.accepted = accepted
        self._expanded = False

    def __repr__(self) -> str:
        return f"<{self.operator_class.__name__}.partial({self.kwargs['task_id']!r})>"

    def expand(self, **mapped: Any) -> "BaseOperator":
        """The mapped task: one child per item (the cartesian product for several)."""
        owner = self._owner()
        if not mapped:
            raise DagDefinitionError(f"{owner}: expand() needs at least one argument")
        for name, value in mapped.items():
            if name not in self.accepted:
                raise DagDefinitionError(
                    f"{owner}: expand() got an unexpected argument {name!r}; "
                    f"{self.operator_class.__name__} takes no such argument")
            if name in ("task_id", "dag", "default_args"):
                raise DagDefinitionError(f"{owner}: {name!r} cannot be mapped")
            if name in self.kwargs:
                raise DagDefinitionError(f"{owner}: {name!r} is given to both partial() and "
                                         f"expand()")
            check_literal(owner, name, value)
        return self._create(ExpandInput("expand", dict(mapped)), list(mapped))

    def expand_kwargs(self, kwargs: Any) -> "BaseOperator":
        """The mapped task: one child per dict of arguments (a list, or a task's output)."""
        owner = self._owner()
        check_literal(owner, "expand_kwargs", kwargs, allow_dict=False)
        names: list[str] = []
        if not isinstance(kwargs, XComArg):
            for row in kwargs:
                if not isinstance(row, dict):
                    raise DagDefinitionError(f"{owner}: expand_kwargs() needs a list of dicts, "
                                             f"got an item {row!r}")
                for name in row:
                    if name not in self.accepted:
                        raise DagDefinitionError(f"{owner}: expand_kwargs() got an unexpected "
                                                 f"argument {name!r}")
                    if name not in names:
                        names.append(name)
        return self._create(ExpandInput("expand_kwargs", kwargs), names)

    def _owner(self) -> str:
        if self._expanded:
            raise DagDefinitionError(f"{self!r} was already expanded")
        return f"{self.operator_class.__name__}({self.kwargs['task_id']!r})"

    def _create(self, expand: ExpandInput, names: list[str]) -> "BaseOperator":
        _, required = init_parameters(self.operator_class)
        kwargs = dict(self.kwargs)
        for name in names:
            if name in required:
                kwargs[name] = _Placeholder()
        operator = self.operator_class(**kwargs)
        self._expanded = True
        return attach(operator, expand)


def attach(operator: "BaseOperator", expand: ExpandInput) -> "BaseOperator":
    """Make `operator` a mapped task: remember its input and depend on the tasks it reads."""
    operator._expand_input = expand  # type: ignore[attr-defined]
    for arg in iter_xcom_args(expand.value):
        arg.operator >> operator
    return operator


def is_mapped(task: Any) -> bool:
    """Whether `task` was made by `.expand(...)` / `.expand_kwargs(...)`."""
    return getattr(task, "_expand_input", None) is not None


def same_index_tasks(task: Any) -> frozenset[str]:
    """The tasks whose XComs a mapped task instance of `task` reads at its own map index:
    the tasks of its mapped task group, as in Airflow (none outside such a group)."""
    return frozenset(getattr(task, "_mapped_group_tasks", ()))


class TaskFlowPartial:
    """`@task` function `.partial(**fixed)`: a TaskFlow task waiting for `.expand(...)`.

    Parameters:
      decorator: the `@task`-decorated function.
      kwargs: the function's arguments every child shares.
    """

    def __init__(self, decorator: Any, kwargs: dict[str, Any]) -> None:
        self.decorator = decorator
        self.kwargs = kwargs
        self.name = f"@task {decorator.function.__name__}"
        params = inspect.signature(decorator.function).parameters
        self.any_name = any(p.kind is p.VAR_KEYWORD for p in params.values())
        self.accepted = {n for n, p in params.items()
                         if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        for name in kwargs:
            self._check_name("partial", name)

    def _check_name(self, what: str, name: str) -> None:
        if not self.any_name and name not in self.accepted:
            raise DagDefinitionError(f"{self.name}: {what}() got an unexpected argument "
                                     f"{name!r}; the function takes "
                                     f"{', '.join(sorted(self.accepted)) or 'no arguments'}")

    def expand(self, **mapped: Any) -> XComArg:
        """The mapped task's output: one child per item (the cartesian product for several)."""
        if not mapped:
            raise DagDefinitionError(f"{self.name}: expand() needs at least one argument")
        for name, value in mapped.items():
            self._check_name("expand", name)
            if name in self.kwargs:
                raise DagDefinitionError(f"{self.name}: {name!r} is given to both partial() "
                                         f"and expand()")
            check_literal(self.name, name, value)
        return self._create(ExpandInput("expand", dict(mapped), OP_KWARGS))

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        """The mapped task's output: one child per dict of the function's arguments."""
        check_literal(self.name, "expand_kwargs", kwargs, allow_dict=False)
        if not isinstance(kwargs, XComArg):
            for row in kwargs:
                if not isinstance(row, dict):
                    raise DagDefinitionError(f"{self.name}: expand_kwargs() needs a list of "
                                             f"dicts, got an item {row!r}")
                for name in row:
                    self._check_name("expand_kwargs", name)
        return self._create(ExpandInput("expand_kwargs", kwargs, OP_KWARGS))

    def _create(self, expand: ExpandInput) -> XComArg:
        operator = self.decorator._operator([], dict(self.kwargs))
        return XComArg(attach(operator, expand))
