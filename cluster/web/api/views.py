"""Store rows turned into the API's response bodies, and the lookups every route shares."""
from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import HTTPException, Request

from cluster.sdk.schedules import following, from_text
from cluster.control.services import Cluster
from cluster.store import browse
from cluster.store import dags as dag_store
from cluster.store.models import Dag, DagRun, TaskInstance
from cluster.web.api import schemas


def cluster_of(request: Request) -> Cluster:
    return request.app.state.cluster


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=what)


def dag_or_404(cluster: Cluster, dag_id: str) -> Dag:
    dag = dag_store.get_dag(cluster.store, dag_id)
    if dag is None or not dag.is_active:
        raise not_found(f"The DAG with dag_id: `{dag_id}` was not found")
    return dag


def run_or_404(cluster: Cluster, dag_id: str, dag_run_id: str) -> DagRun:
    run = browse.find_dag_run(cluster.store, dag_id, dag_run_id)
    if run is None:
        raise not_found(f"The DagRun with dag_id: `{dag_id}` and run_id: `{dag_run_id}` "
                        "was not found")
    return run


def version_data(cluster: Cluster, version_id: int | None) -> dict[str, Any]:
    return {} if version_id is None else dag_store.version_data(cluster.store, version_id)


def next_run(dag: Dag, last: dt.datetime | None) -> dt.datetime | None:
    """When the schedule next fires after the newest scheduled run (None: not scheduled)."""
    if dag.is_paused or not dag.schedule:
        return None
    return following(from_text(dag.schedule), last or dt.datetime.now(dt.timezone.utc))


def dag_response(dag: Dag, import_errors: set[str], data: dict[str, Any] | None = None,
                 details: bool = False) -> schemas.DAGResponse:
    data = data or {}
    fields: dict[str, Any] = dict(
        dag_id=dag.dag_id, dag_display_name=dag.dag_id, is_paused=dag.is_paused,
        is_stale=not dag.is_active, last_parsed_time=dag.last_parsed_at, fileloc=dag.fileloc,
        relative_fileloc=data.get("relative_fileloc"), description=dag.description,
        timetable_summary=dag.schedule,
        tags=[schemas.DagTag(name=t, dag_id=dag.dag_id) for t in dag.tags or []],
        max_active_runs=data.get("max_active_runs"),
        has_import_errors=dag.fileloc in import_errors,
        next_dagrun_logical_date=None, next_dagrun_run_after=None,
        owners=sorted({t.get("owner", "airflow") for t in data.get("tasks", [])}) or ["airflow"])
    if not details:
        return schemas.DAGResponse(**fields)
    return schemas.DAGDetailsResponse(
        **fields, catchup=bool(data.get("catchup")),
        start_date=_date(data.get("start_date")), end_date=_date(data.get("end_date")),
        params=_params(data), dag_run_timeout=data.get("dagrun_timeout"),
        latest_dag_version=dag.latest_version_id)


def _params(data: dict[str, Any]) -> dict[str, Any]:
    """Airflow's serialized params: name -> {value, schema, description}."""
    schemas_ = data.get("params_schema") or {}
    out = {}
    for name, value in (data.get("params") or {}).items():
        schema = dict((schemas_.get(name) or {}).get("schema") or {})
        out[name] = {"value": value, "schema": schema, "description": schema.get("description")}
    return out


def _date(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def run_response(run: DagRun) -> schemas.DAGRunResponse:
    return schemas.DAGRunResponse(
        dag_run_id=run.run_id, dag_id=run.dag_id, logical_date=run.logical_date,
        queued_at=run.created_at, start_date=run.start_date, end_date=run.end_date,
        data_interval_start=run.logical_date, data_interval_end=run.logical_date,
        run_after=run.logical_date, run_type=run.run_type, state=run.state,
        triggered_by="rest_api" if run.run_type == "manual" else None,
        conf=dict(run.conf or {}), note=None, dag_display_name=run.dag_id)


def ti_response(ti: TaskInstance, run: DagRun,
                rendered: dict[str, Any] | None = None) -> schemas.TaskInstanceResponse:
    return schemas.TaskInstanceResponse(
        id=f"{run.id}:{ti.task_id}:{ti.map_index}", task_id=ti.task_id, dag_id=ti.dag_id,
        dag_run_id=run.run_id, map_index=ti.map_index, logical_date=run.logical_date,
        run_after=run.logical_date, start_date=ti.start_date, end_date=ti.end_date,
        duration=ti.duration, state=None if ti.state == "none" else ti.state,
        try_number=ti.try_number, max_tries=ti.max_tries, task_display_name=ti.task_id,
        dag_display_name=ti.dag_id, hostname=ti.hostname, pool=ti.pool or "default_pool",
        pool_slots=ti.pool_slots, queue=ti.queue, operator=ti.operator,
        queued_when=ti.queued_at, pid=ti.pid, executor="CeleryExecutor", note=None,
        rendered_map_index=str(ti.map_index) if ti.map_index >= 0 else None,
        rendered_fields=rendered or {}, error=ti.error)
