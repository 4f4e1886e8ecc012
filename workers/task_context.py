"""The context a try sees — `ti`, `dag_run`, the dates, params — the same under every runner.

Store-free: the worker builds it with XComs read from the store (workers/context.py),
a running try with XComs through the task API (workers/task_api/task_side.py); both
use this one `TaskInstance`, so `xcom_pull` answers alike everywhere.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any, Iterable, Protocol

from cluster.sdk.asset_events import OutletEventAccessors
from cluster.errors import UnsupportedFeatureError
from cluster.sdk.expand import same_index_tasks
from cluster.sdk.params import values as param_values
from cluster.sdk.templating import template_context
from cluster.sdk.xcom_arg import RETURN_KEY, check_pull_arguments


class XComAccess(Protocol):
    """Where a try's XComs are read and written (the store, or the task API)."""

    def pull(self, task_ids: list[str], key: str, dag_id: str | None,
             run_id: str | None, map_index: int | None = None) -> dict[str, Any]: ...

    def push(self, key: str, value: Any) -> None: ...


@dataclasses.dataclass(frozen=True)
class TryFacts:
    """What identifies a try and its run (a store Delivery has the same attributes)."""

    run_pk: int
    dag_id: str
    run_id: str
    conf: dict[str, Any]
    logical_date: dt.datetime
    start_date: dt.datetime | None = None
    run_type: str = "manual"
    data_interval_start: dt.datetime | None = None  # as stored with a scheduled run
    data_interval_end: dt.datetime | None = None


class TaskInstance:
    """What a task sees as `ti`: its identity, `xcom_push` and `xcom_pull`."""

    def __init__(self, facts: Any, task_id: str, try_number: int, upstream: Iterable[str],
                 map_index: int, xcoms: XComAccess,
                 same_index: frozenset[str] = frozenset()) -> None:
        self.run_pk = facts.run_pk
        self.dag_id = facts.dag_id
        self.run_id = facts.run_id
        self.task_id = task_id
        self.try_number = try_number
        self.map_index = map_index
        self.start_date = getattr(facts, "start_date", None)
        self.upstream = sorted(upstream)
        self.xcoms = xcoms
        # the other tasks of this task's mapped task group: read at this map index
        self.same_index = same_index if map_index >= 0 else frozenset()

    def __repr__(self) -> str:
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id} [try {self.try_number}]>"

    def xcom_push(self, key: str, value: Any) -> None:
        to_json(value)  # a value JSON cannot hold fails here, with its type named
        self.xcoms.push(key, value)

    def xcom_pull(self, task_ids: str | Iterable[str] | None = None, key: str = RETURN_KEY,
                  dag_id: str | None = None, run_id: str | None = None,
                  map_indexes: Any = None, include_prior_dates: bool = False,
                  default: Any = None, **unknown: Any) -> Any:
        """One value for one task id; a list (in the given order) for several; without
        task ids, the values of the upstream tasks that pushed one. Another DAG's or run's
        XComs only when `dag_id` / `run_id` name them (by default: this DAG, this run id).
        A mapped task's value is the list of its indexes' values, or those `map_indexes`
        names; inside a mapped task group, the group's tasks are read at this index."""
        if unknown:
            raise UnsupportedFeatureError(
                f"xcom_pull({', '.join(unknown)}=...) is not supported by chordflow")
        indexes = check_pull_arguments(include_prior_dates, map_indexes)
        other = (dag_id or self.dag_id, run_id or self.run_id) != (self.dag_id, self.run_id)
        if task_ids is None and other:
            raise ValueError("xcom_pull(dag_id=..., run_id=...) needs task_ids: the "
                             "upstreams of this task are not tasks of that run")
        single = isinstance(task_ids, str)
        ids = [task_ids] if single else list(task_ids) if task_ids is not None else self.upstream
        one_index = isinstance(map_indexes, int)
        values = self._pull(list(ids), key, dag_id, run_id,  # type: ignore[arg-type]
                            indexes, one_index, other)
        if single:
            return values.get(task_ids, default)  # type: ignore[arg-type]
        return [values.get(t) for t in ids if t in values] if task_ids is None else \
            [values.get(t) for t in ids]

    def _pull(self, ids: list[str], key: str, dag_id: str | None, run_id: str | None,
              indexes: list[int] | None, one_index: bool, other: bool) -> dict[str, Any]:
        if indexes is not None and one_index:
            return self.xcoms.pull(ids, key, dag_id, run_id, indexes[0])
        if indexes is not None:  # a list of indexes: each task's values at those, in order
            pulled = [self.xcoms.pull(ids, key, dag_id, run_id, i) for i in indexes]
            return {t: [p[t] for p in pulled if t in p] for t in ids}
        same = [] if other else [t for t in ids if t in self.same_index]
        rest = [t for t in ids if t not in same]
        values = self.xcoms.pull(rest, key, dag_id, run_id) if rest else {}
        if same:
            values.update(self.xcoms.pull(same, key, dag_id, run_id, self.map_index))
        return values


class DagRunContext:
    """What a task sees as `dag_run`."""

    def __init__(self, facts: Any) -> None:
        self.dag_id = facts.dag_id
        self.run_id = facts.run_id
        self.conf = dict(facts.conf)
        self.logical_date = facts.logical_date
        self.id = facts.run_pk
        self.run_type = getattr(facts, "run_type", "manual")
        self.external_trigger = self.run_type == "manual"  # Airflow 2's name for it

    def __repr__(self) -> str:
        return f"<DagRun {self.dag_id} @ {self.run_id}>"


def make_context(dag: Any, task: Any, facts: Any, try_number: int, upstream: Iterable[str],
                 map_index: int, xcoms: XComAccess,
                 asset_events: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template/execute context of one try: Airflow's names."""
    ti = TaskInstance(facts, task.task_id, try_number, upstream, map_index, xcoms,
                      same_index_tasks(task))
    params = {**param_values({**dag.params, **task.params}), **facts.conf}
    return {
        **template_context(facts.logical_date, dag.timetable, stored_interval(facts)),
        "dag": dag, "task": task, "ti": ti, "task_instance": ti,
        "dag_run": DagRunContext(facts), "run_id": facts.run_id,
        "params": params, "try_number": try_number, "map_index": map_index,
        "test_mode": False, "conf": {},
        "outlet_events": OutletEventAccessors(getattr(task, "outlets", None)),
        **(asset_events or {}),
    }


def stored_interval(run: Any) -> tuple[Any, Any] | None:
    """The data interval stored with a run (a scheduled or backfill one), if any."""
    start = getattr(run, "data_interval_start", None)
    end = getattr(run, "data_interval_end", None)
    return (start, end) if start is not None and end is not None else None


def to_json(value: Any) -> str:
    """Serialise an XCom value; a value JSON cannot hold fails the task with a clear message."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"XCom value of type {type(value).__name__} cannot be stored as JSON: {exc}") from None
