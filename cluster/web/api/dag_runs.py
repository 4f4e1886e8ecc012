"""`/dags/{dag_id}/dagRuns`: list, read, trigger (conf, logical_date), mark, clear."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request

from cluster.control import services
from cluster.errors import InvalidInputError
from cluster.states import FINAL_TASK_STATES, RunState
from cluster.store import browse
from cluster.store import tasks as ti_store
from cluster.web.api import schemas
from cluster.web.api.views import cluster_of, dag_or_404, run_or_404, run_response, ti_response

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
_RUN_ORDER = ("id", "-id", "logical_date", "-logical_date", "start_date", "-start_date",
              "end_date", "-end_date", "run_id", "-run_id")


@router.get("/dags/{dag_id}/dagRuns", response_model=schemas.DAGRunCollectionResponse)
def list_dag_runs(request: Request, dag_id: str, limit: Limit = 100, offset: Offset = 0,
                  state: Annotated[list[str], Query()] = [],  # noqa: B006
                  order_by: str = "id"):
    """Runs of a DAG (`~`: of every DAG), oldest first unless `order_by` says otherwise."""
    cluster = cluster_of(request)
    if order_by not in _RUN_ORDER:
        raise InvalidInputError(f"order_by must be one of {', '.join(_RUN_ORDER)}")
    bad = [s for s in state if s not in {r.value for r in RunState}]
    if bad:
        raise InvalidInputError(f"unknown DAG run state {bad[0]!r}")
    if dag_id != "~":
        dag_or_404(cluster, dag_id)
    page = browse.runs_page(cluster.store, None if dag_id == "~" else dag_id, limit, offset,
                            state, order_by)
    return schemas.DAGRunCollectionResponse(dag_runs=[run_response(r) for r in page.rows],
                                            total_entries=page.total)


@router.get("/dags/{dag_id}/dagRuns/{dag_run_id}", response_model=schemas.DAGRunResponse)
def get_dag_run(request: Request, dag_id: str, dag_run_id: str):
    return run_response(run_or_404(cluster_of(request), dag_id, dag_run_id))


@router.post("/dags/{dag_id}/dagRuns", response_model=schemas.DAGRunResponse)
def trigger_dag_run(request: Request, dag_id: str, body: schemas.TriggerDAGRunPostBody):
    """A new manual run; a conf that does not fit the DAG's Params is refused (400)."""
    cluster = cluster_of(request)
    dag_or_404(cluster, dag_id)
    when = body.logical_date
    if when is not None and when.tzinfo is None:
        raise InvalidInputError("logical_date must carry a timezone (e.g. 2024-01-01T00:00:00Z)")
    if when is not None and not 1900 <= when.year <= 2200:
        raise InvalidInputError("logical_date is out of range")
    run = services.trigger(cluster, dag_id, body.conf, body.dag_run_id, when)
    return run_response(run)


@router.patch("/dags/{dag_id}/dagRuns/{dag_run_id}", response_model=schemas.DAGRunResponse)
def patch_dag_run(request: Request, dag_id: str, dag_run_id: str, body: schemas.DAGRunPatchBody):
    """`failed` stops a run that is not over; `success` marks every task not yet succeeded
    as success. `queued` is refused: clear the run to run it again."""
    cluster = cluster_of(request)
    run = run_or_404(cluster, dag_id, dag_run_id)
    if body.state == "queued":
        raise InvalidInputError("a run cannot be set back to queued; clear it "
                                "(POST .../clear) to run it again")
    if body.state == "failed" and run.state in (RunState.QUEUED, RunState.RUNNING):
        services.cancel_run(cluster, run.id)
    else:
        for ti in ti_store.task_instances(cluster.store, run.id):
            if ti.map_index == -1 and ti.state != body.state and (
                    body.state == "success" or ti.state not in FINAL_TASK_STATES):
                services.mark_task(cluster, run.id, ti.task_id, body.state)
    return run_response(run_or_404(cluster, dag_id, dag_run_id))


@router.post("/dags/{dag_id}/dagRuns/{dag_run_id}/clear",
             response_model=schemas.TaskInstanceCollectionResponse | schemas.DAGRunResponse)
def clear_dag_run(request: Request, dag_id: str, dag_run_id: str, body: schemas.DAGRunClearBody):
    """Run the whole run (or its failed tasks) again; `dry_run` lists what would be cleared."""
    cluster = cluster_of(request)
    run = run_or_404(cluster, dag_id, dag_run_id)
    tis = [t for t in ti_store.task_instances(cluster.store, run.id) if t.map_index == -1]
    if body.only_failed:
        tis = [t for t in tis if t.state in ("failed", "upstream_failed")]
    if body.dry_run:
        return schemas.TaskInstanceCollectionResponse(
            task_instances=[ti_response(t, run) for t in tis], total_entries=len(tis))
    if tis:
        ids = "|".join(re.escape(t.task_id) for t in tis)
        services.clear_tasks(cluster, run.id, f"^(?:{ids})$")
    return run_response(run_or_404(cluster, dag_id, dag_run_id))
