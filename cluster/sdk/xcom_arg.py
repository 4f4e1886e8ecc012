"""XComArg: the value a task will return, used as an argument of another task (TaskFlow)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cluster.sdk.operators.base import BaseOperator

RETURN_KEY = "return_value"


class XComArg:
    """A reference to an XCom of `operator`; `>>` works on it as on the operator."""

    def __init__(self, operator: "BaseOperator", key: str = RETURN_KEY) -> None:
        self.operator = operator
        self.key = key

    def __getitem__(self, key: str) -> "XComArg":
        return XComArg(self.operator, key)

    def __repr__(self) -> str:
        return f"XComArg({self.operator.task_id!r}, {self.key!r})"

    def __rshift__(self, other: Any) -> Any:
        return self.operator >> other

    def __lshift__(self, other: Any) -> Any:
        return self.operator << other

    def __rrshift__(self, other: Any) -> "XComArg":
        self.operator.__rrshift__(other)
        return self

    def __rlshift__(self, other: Any) -> "XComArg":
        self.operator.__rlshift__(other)
        return self

    # setup/teardown: marks the task behind this value (cluster/sdk/setup_teardown.py)
    def as_setup(self) -> "XComArg":
        self.operator.as_setup()
        return self

    def as_teardown(self, *, setups: Any = None,
                    on_failure_fail_dagrun: bool | None = None) -> "XComArg":
        self.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> "XComArg":
        self.operator.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.operator.__exit__(*exc)

    def resolve(self, context: dict[str, Any]) -> Any:
        return context["ti"].xcom_pull(task_ids=self.operator.task_id, key=self.key)


def iter_xcom_args(value: Any):
    """Every XComArg inside nested lists, tuples and dicts."""
    if isinstance(value, XComArg):
        yield value
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from iter_xcom_args(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_xcom_args(item)


def resolve_xcom_args(value: Any, context: dict[str, Any]) -> Any:
    """`value` with every XComArg replaced by the XCom it names."""
    if isinstance(value, XComArg):
        return value.resolve(context)
    if isinstance(value, (list, tuple)):
        return type(value)(resolve_xcom_args(v, context) for v in value)
    if isinstance(value, dict):
        return {k: resolve_xcom_args(v, context) for k, v in value.items()}
    return value


def check_pull_arguments(include_prior_dates: bool, map_indexes: Any) -> list[int] | None:
    """xcom_pull's arguments chordflow does not honour are refused, never ignored; the
    mapped indexes asked for (`map_indexes=2` or `[0, 2]`) as a list, None for all."""
    if include_prior_dates:
        raise NotImplementedError("xcom_pull(include_prior_dates=True) is not supported by "
                                  "chordflow; pull from a given run with dag_id= and run_id=")
    if map_indexes is None:
        return None
    indexes = [map_indexes] if isinstance(map_indexes, int) else list(map_indexes)
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in indexes):
        raise ValueError(f"xcom_pull(map_indexes={map_indexes!r}): give a mapped index "
                         "(an integer >= 0) or a list of them")
    return indexes
