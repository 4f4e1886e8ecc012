"""`/dags` and `/importErrors`: what the DAG processor found, pausing and unpausing."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from cluster.control import services
from cluster.errors import InvalidInputError
from cluster.store import browse
from cluster.store import dags as dag_store
from cluster.store.models import DagRun
from cluster.web.api import schemas
from cluster.web.api.views import cluster_of, dag_or_404, dag_response, next_run, not_found, version_data

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def _last_scheduled(runs: list[DagRun]):  # type: ignore[no-untyped-def]
    return next((r.logical_date for r in runs if r.run_type == "scheduled"), None)


@router.get("/dags", response_model=schemas.DAGCollectionResponse)
def list_dags(request: Request, limit: Limit = 100, offset: Offset = 0,
              tags: Annotated[list[str], Query()] = [],  # noqa: B006  (FastAPI copies it)
              dag_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
              paused: bool | None = None,
              order_by: Literal["dag_id", "-dag_id", "last_parsed_time",
                                "-last_parsed_time"] = "dag_id"):
    """DAGs with filters and paging (Airflow's `GET /api/v2/dags`)."""
    cluster = cluster_of(request)
    page = browse.dags_page(cluster.store, limit, offset, tags, dag_id_pattern, paused, order_by)
    errors = {e.filename for e in dag_store.list_import_errors(cluster.store)}
    recent = browse.latest_runs(cluster.store, [d.dag_id for d in page.rows])
    out = []
    for dag in page.rows:
        item = dag_response(dag, errors, version_data(cluster, dag.latest_version_id))
        item.next_dagrun_logical_date = item.next_dagrun_run_after = next_run(
            dag, _last_scheduled(recent.get(dag.dag_id, [])))
        out.append(item)
    return schemas.DAGCollectionResponse(dags=out, total_entries=page.total)


@router.get("/dags/{dag_id}", response_model=schemas.DAGResponse)
def get_dag(request: Request, dag_id: str):
    cluster = cluster_of(request)
    dag = dag_or_404(cluster, dag_id)
    errors = {e.filename for e in dag_store.list_import_errors(cluster.store)}
    return dag_response(dag, errors, version_data(cluster, dag.latest_version_id))


@router.get("/dags/{dag_id}/details", response_model=schemas.DAGDetailsResponse)
def get_dag_details(request: Request, dag_id: str):
    cluster = cluster_of(request)
    dag = dag_or_404(cluster, dag_id)
    errors = {e.filename for e in dag_store.list_import_errors(cluster.store)}
    item = dag_response(dag, errors, version_data(cluster, dag.latest_version_id), details=True)
    recent = browse.latest_runs(cluster.store, [dag_id]).get(dag_id, [])
    item.next_dagrun_logical_date = item.next_dagrun_run_after = next_run(
        dag, _last_scheduled(recent))
    return item


@router.patch("/dags/{dag_id}", response_model=schemas.DAGResponse)
def patch_dag(request: Request, dag_id: str, body: schemas.DAGPatchBody,
              update_mask: Annotated[list[str] | None, Query()] = None):
    """Pause or unpause (`is_paused` is the one field that can change)."""
    if update_mask and set(update_mask) - {"is_paused"}:
        raise InvalidInputError(f"update_mask names fields that cannot be changed: "
                                f"{sorted(set(update_mask) - {'is_paused'})}")
    cluster = cluster_of(request)
    dag_or_404(cluster, dag_id)
    services.set_paused(cluster, dag_id, body.is_paused)
    return get_dag(request, dag_id)


@router.get("/importErrors", response_model=schemas.ImportErrorCollectionResponse)
def list_import_errors(request: Request, limit: Limit = 100, offset: Offset = 0):
    rows = dag_store.list_import_errors(cluster_of(request).store)
    return schemas.ImportErrorCollectionResponse(
        import_errors=[_import_error(e) for e in rows[offset:offset + limit]],
        total_entries=len(rows))


@router.get("/importErrors/{import_error_id}", response_model=schemas.ImportErrorResponse)
def get_import_error(request: Request, import_error_id: int):
    for row in dag_store.list_import_errors(cluster_of(request).store):
        if row.id == import_error_id:
            return _import_error(row)
    raise not_found(f"The ImportError with import_error_id: `{import_error_id}` was not found")


def _import_error(row) -> schemas.ImportErrorResponse:  # type: ignore[no-untyped-def]
    return schemas.ImportErrorResponse(import_error_id=row.id, timestamp=row.timestamp,
                                       filename=row.filename, bundle_name="dags-folder",
                                       stack_trace=row.message)
