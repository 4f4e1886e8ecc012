"""Airflow 3's `@asset`: a function that produces one asset becomes a DAG of one task.

`@asset(schedule=..., uri=...)` on `def name(self, context, other_asset)` makes the asset
`Asset(name, uri)` (what the decorated name is afterwards), a DAG `name` with that
schedule, and in it a task `name` whose outlet is the asset. Parameters other than `self`
(the asset) and `context` (the task's context) name assets defined earlier in the same
file (by `@asset` or as `Asset(name=...)`): they are the task's inlets and are passed as
those assets.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from cluster.sdk.assets import Asset
from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError
from cluster.sdk.operators.python import PythonOperator

class AssetDefinition(Asset):
    """The asset an `@asset` function produces; its DAG and task are named after it."""

    def __init__(self, function: Callable, *, name: str, uri: str | None, group: str | None,
                 extra: dict[str, Any] | None, schedule: Any, dag_kwargs: dict[str, Any]) -> None:
        super().__init__(name, uri, group=group, extra=extra)
        self.function = function
        params = [p for p in inspect.signature(function).parameters
                  if p not in ("self", "context")]
        known = _assets_by_name(function)
        missing = [p for p in params if p not in known]
        if missing:
            raise DagDefinitionError(
                f"@asset {name!r}: parameter(s) {', '.join(missing)} name no asset defined "
                "before it in this file (chordflow resolves inlets by name there)")
        self.inlet_assets = {p: known[p] for p in params}
        with DAG(name, schedule=schedule, **dag_kwargs) as dag:
            AssetMainOperator(task_id=name, definition=self)
        self.dag = dag


def _assets_by_name(function: Callable) -> dict[str, Asset]:
    """The assets the function's module defined so far, by asset name."""
    return {value.name: value for value in list(function.__globals__.values())
            if isinstance(value, Asset)}


class AssetMainOperator(PythonOperator):
    """The one task of an `@asset` DAG: calls the function with the asset, the context and
    its inlet assets."""

    def __init__(self, *, definition: AssetDefinition, **kwargs: Any) -> None:
        super().__init__(python_callable=definition.function, outlets=[definition],
                         inlets=list(definition.inlet_assets.values()), **kwargs)
        self.definition = definition

    def execute(self, context: dict[str, Any]) -> Any:
        wanted = inspect.signature(self.python_callable).parameters
        given = {"self": self.definition, "context": context, **self.definition.inlet_assets}
        result = self.python_callable(**{k: v for k, v in given.items() if k in wanted})
        self.log.info("Done. Returned value was: %s", result)
        return result


def asset(*, schedule: Any, uri: str | None = None, group: str | None = None,
          extra: dict[str, Any] | None = None, name: str | None = None,
          watchers: Any = None, **dag_kwargs: Any) -> Callable[[Callable], AssetDefinition]:
    """`@asset(schedule=None, uri="s3://...")`: see the module docstring."""
    if watchers:
        raise DagDefinitionError("@asset(watchers=...) is not supported by chordflow "
                                 "(there is no triggerer)")

    def decorate(function: Callable) -> AssetDefinition:
        return AssetDefinition(function, name=name or function.__name__, uri=uri, group=group,
                               extra=extra, schedule=schedule, dag_kwargs=dag_kwargs)

    return decorate


__all__ = ["asset", "AssetDefinition"]
