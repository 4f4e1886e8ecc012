"""The worker's side of a try's context: XComs read and written in the store."""
from __future__ import annotations

from typing import Any, Iterable

from cluster.sdk.dag import DAG
from cluster.store import Store
from cluster.store import xcoms as xcom_store

from workers.task_context import DagRunContext, TaskInstance, make_context, to_json

__all__ = ["StoreXComs", "build_context", "DagRunContext", "TaskInstance", "to_json"]


class StoreXComs:
    """XComs of one try in the store: its run's, or another DAG's run named by id."""

    def __init__(self, store: Store, run_pk: int, dag_id: str, run_id: str, task_id: str,
                 map_index: int) -> None:
        self.store, self.run_pk, self.dag_id, self.run_id = store, run_pk, dag_id, run_id
        self.task_id, self.map_index = task_id, map_index

    def pull(self, task_ids: list[str], key: str, dag_id: str | None = None,
             run_id: str | None = None, map_index: int | None = None) -> dict[str, Any]:
        return pull_xcoms(self.store, (self.run_pk, self.dag_id, self.run_id), task_ids, key,
                          dag_id, run_id, map_index)

    def push(self, key: str, value: Any) -> None:
        xcom_store.push_xcom(self.store, self.run_pk, self.task_id, key, to_json(value),
                           self.map_index)


def pull_xcoms(store: Store, own: tuple[int, str, str], task_ids: list[str], key: str,
               dag_id: str | None, run_id: str | None,
               map_index: int | None = None) -> dict[str, Any]:
    """task_id -> value in the own run (run_pk, dag_id, run_id), or in the run another
    `dag_id` / `run_id` names (Airflow's defaults: this DAG, this run id); of one mapped
    index when `map_index` is given."""
    run_pk, own_dag, own_run = own
    dag_id, run_id = dag_id or own_dag, run_id or own_run
    if (dag_id, run_id) != (own_dag, own_run):
        run_pk = xcom_store.run_pk_of(store, dag_id, run_id)
    return {} if run_pk is None else xcom_store.pull_xcoms(store, run_pk, task_ids, key,
                                                         map_index)


def build_context(store: Store, dag: DAG, task: Any, delivery: Any, try_number: int,
                  upstream: Iterable[str], map_index: int = -1) -> dict[str, Any]:
    xcoms = StoreXComs(store, delivery.run_pk, delivery.dag_id, delivery.run_id, task.task_id,
                       map_index)
    return make_context(dag, task, delivery, try_number, upstream, map_index, xcoms,
                        asset_context(store, task, delivery.run_pk))


def asset_context(store: Store, task: Any, run_pk: int) -> dict[str, Any]:
    """`triggering_asset_events` (and Airflow 2's `triggering_dataset_events`) and
    `inlet_events`, each read from the store when a task first looks."""
    from cluster.sdk.asset_events import AssetEventsByAsset
    from cluster.store import assets as asset_store

    triggering = AssetEventsByAsset(lambda: asset_store.run_events(store, run_pk))
    inlets = [a.uri for a in getattr(task, "inlets", None) or () if hasattr(a, "uri")]
    aliases = [a.name for a in getattr(task, "inlets", None) or () if not hasattr(a, "uri")]
    inlet_events = AssetEventsByAsset(
        lambda: [e for uri in inlets for e in asset_store.events_of(store, uri)],
        lambda: {name: asset_store.events_through(store, name) for name in aliases})
    return {"triggering_asset_events": triggering, "triggering_dataset_events": triggering,
            "inlet_events": inlet_events}


