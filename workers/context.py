"""The template/execute context of a try: Airflow's names, XCom bound to the store."""
from __future__ import annotations

import json
from typing import Any, Iterable

from cluster.dag import DAG
from cluster.params import values as param_values
from cluster.store import Store
from cluster.store import tasks as ti_store
from cluster.store.tasks import Delivery
from cluster.templating import template_context
from cluster.xcom_arg import RETURN_KEY, check_pull_arguments


class TaskInstanceContext:
    """What a task sees as `ti`: its identity, `xcom_push` and `xcom_pull`."""

    def __init__(self, store: Store, delivery: Delivery, task_id: str, try_number: int,
                 upstream: Iterable[str], map_index: int = -1) -> None:
        self._store = store
        self.run_pk = delivery.run_pk
        self.dag_id = delivery.dag_id
        self.run_id = delivery.run_id
        self.task_id = task_id
        self.try_number = try_number
        self.map_index = map_index
        self.start_date = getattr(delivery, "start_date", None)
        self._upstream = sorted(upstream)

    def __repr__(self) -> str:
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id} [try {self.try_number}]>"

    def xcom_push(self, key: str, value: Any) -> None:
        ti_store.push_xcom(self._store, self.run_pk, self.task_id, key, to_json(value),
                           self.map_index)

    def xcom_pull(self, task_ids: str | Iterable[str] | None = None, key: str = RETURN_KEY,
                  dag_id: str | None = None, run_id: str | None = None,
                  include_prior_dates: bool = False, map_indexes: Any = None,
                  default: Any = None) -> Any:
        """One value for one task id; a list (in the given order) for several. `dag_id` and
        `run_id` pull from that DAG's run (by default: this DAG, this run id, as Airflow)."""
        check_pull_arguments(include_prior_dates, map_indexes)
        single = isinstance(task_ids, str)
        other = (dag_id or self.dag_id, run_id or self.run_id) != (self.dag_id, self.run_id)
        if task_ids is None and other:
            raise ValueError("xcom_pull(dag_id=..., run_id=...) needs task_ids: the "
                             "upstreams of this task are not tasks of that run")
        ids = [task_ids] if single else list(task_ids) if task_ids is not None else self._upstream
        run_pk = ti_store.run_pk_of(self._store, dag_id or self.dag_id, run_id or self.run_id) \
            if other else self.run_pk
        values = {} if run_pk is None else ti_store.pull_xcoms(self._store, run_pk, ids, key)
        if single:
            return values.get(task_ids, default)  # type: ignore[arg-type]
        return [values.get(t) for t in ids if t in values] if task_ids is None else \
            [values.get(t) for t in ids]


class DagRunContext:
    """What a task sees as `dag_run`."""

    def __init__(self, delivery: Delivery) -> None:
        self.dag_id = delivery.dag_id
        self.run_id = delivery.run_id
        self.conf = dict(delivery.conf)
        self.logical_date = delivery.logical_date
        self.id = delivery.run_pk
        self.run_type = getattr(delivery, "run_type", "manual")
        self.external_trigger = self.run_type == "manual"  # Airflow 2's name for it

    def __repr__(self) -> str:
        return f"<DagRun {self.dag_id} @ {self.run_id}>"


def build_context(store: Store, dag: DAG, task: Any, delivery: Delivery, try_number: int,
                  upstream: Iterable[str], map_index: int = -1) -> dict[str, Any]:
    ti = TaskInstanceContext(store, delivery, task.task_id, try_number, upstream, map_index)
    params = {**param_values({**dag.params, **task.params}), **delivery.conf}
    return {
        **template_context(delivery.logical_date, dag.timetable, stored_interval(delivery)),
        "dag": dag, "task": task, "ti": ti, "task_instance": ti,
        "dag_run": DagRunContext(delivery), "run_id": delivery.run_id,
        "params": params, "try_number": try_number, "map_index": map_index,
        "test_mode": False, "conf": {},
        **asset_context(store, dag, task, delivery.run_pk),
    }


def asset_context(store: Store, dag: DAG, task: Any, run_pk: int) -> dict[str, Any]:
    """`triggering_asset_events` (and Airflow 2's `triggering_dataset_events`) and
    `inlet_events`, each read from the store when a task first looks."""
    from cluster.asset_events import AssetEventsByAsset
    from cluster.store import assets as asset_store

    triggering = AssetEventsByAsset(lambda: asset_store.run_events(store, run_pk))
    inlets = [a.uri for a in getattr(task, "inlets", None) or ()]
    inlet_events = AssetEventsByAsset(
        lambda: [e for uri in inlets for e in asset_store.events_of(store, uri)])
    return {"triggering_asset_events": triggering, "triggering_dataset_events": triggering,
            "inlet_events": inlet_events}


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
