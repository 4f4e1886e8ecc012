"""`.../taskInstances`: list, read, mark (with upstream/downstream), clear; their XComs."""
from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request

from cluster.control import services
from cluster.errors import InvalidInputError
from cluster.planning.serialization import downstream_map, upstream_map
from cluster.states import TaskState
from cluster.store import browse
from cluster.store import rendered as rendered_store
from cluster.store import tasks as ti_store
from cluster.web.api import schemas
from cluster.web.api.views import (cluster_of, dag_or_404, not_found, run_or_404, ti_response, version_data)

router = APIRouter()
# `/{task_id}/{map_index}` would swallow `/{task_id}/logs` and `/xcomEntries`: it goes last.
mapped_router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=10000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
_STATES = {s.value for s in TaskState}
BASE = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"


def _check_states(states: list[str]) -> list[str]:
    bad = [s for s in states if s not in _STATES]
    if bad:
        raise InvalidInputError(f"unknown task instance state {bad[0]!r}")
    return states


@router.get(BASE, response_model=schemas.TaskInstanceCollectionResponse)
def list_task_instances(request: Request, dag_id: str, dag_run_id: str, limit: Limit = 100,
                        offset: Offset = 0,
                        state: Annotated[list[str], Query()] = [],  # noqa: B006
                        task_id: Annotated[list[str], Query()] = []):  # noqa: B006
    """Task instances of a run (`~` for dag_id and/or dag_run_id: across them)."""
    cluster = cluster_of(request)
    run_pk = None
    if dag_run_id != "~":
        if dag_id == "~":
            raise InvalidInputError("give a dag_id with a dag_run_id (or `~` for both)")
        run_pk = run_or_404(cluster, dag_id, dag_run_id).id
    elif dag_id != "~":
        dag_or_404(cluster, dag_id)
    rows, total = browse.task_instances_page(cluster.store, None if dag_id == "~" else dag_id,
                                             run_pk, limit, offset, _check_states(state),
                                             task_id)
    if run_pk is not None and rows:  # one run: in the DAG's order, as the CLI shows it
        order = {t: i for i, t in enumerate(version_data(cluster, rows[0][1].dag_version_id)
                                            ["_index"])}
        rows.sort(key=lambda tr: (order.get(tr[0].task_id, len(order)), tr[0].map_index))
    return schemas.TaskInstanceCollectionResponse(
        task_instances=[ti_response(t, r) for t, r in rows], total_entries=total)


def _ti(request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int = -1):
    cluster = cluster_of(request)
    run = run_or_404(cluster, dag_id, dag_run_id)
    ti = browse.task_instance(cluster.store, run.id, task_id, map_index)
    if ti is None:
        raise not_found(f"The Task Instance with dag_id: `{dag_id}`, run_id: `{dag_run_id}`, "
                        f"task_id: `{task_id}` and map_index: `{map_index}` was not found")
    return cluster, run, ti


def _rendered(cluster, run_pk: int, task_id: str, map_index: int) -> dict:  # type: ignore[no-untyped-def]
    row = rendered_store.load(cluster.store, run_pk, task_id, map_index)
    return {} if row is None else dict(row.rendered_fields)


@router.get(BASE + "/{task_id}", response_model=schemas.TaskInstanceResponse)
def get_task_instance(request: Request, dag_id: str, dag_run_id: str, task_id: str):
    cluster, run, ti = _ti(request, dag_id, dag_run_id, task_id)
    return ti_response(ti, run, _rendered(cluster, run.id, task_id, -1))


@router.get(BASE + "/{task_id}/listMapped", response_model=schemas.TaskInstanceCollectionResponse)
def list_mapped(request: Request, dag_id: str, dag_run_id: str, task_id: str,
                limit: Limit = 100, offset: Offset = 0):
    cluster, run, _ = _ti(request, dag_id, dag_run_id, task_id)
    rows = [t for t in ti_store.task_instances(cluster.store, run.id)
            if t.task_id == task_id and t.map_index >= 0]
    rows.sort(key=lambda t: t.map_index)
    return schemas.TaskInstanceCollectionResponse(
        task_instances=[ti_response(t, run) for t in rows[offset:offset + limit]],
        total_entries=len(rows))


@mapped_router.get(BASE + "/{task_id}/{map_index}", response_model=schemas.TaskInstanceResponse)
def get_mapped_task_instance(request: Request, dag_id: str, dag_run_id: str, task_id: str,
                             map_index: int):
    cluster, run, ti = _ti(request, dag_id, dag_run_id, task_id, map_index)
    return ti_response(ti, run, _rendered(cluster, run.id, task_id, map_index))


def _related(data: dict, task_ids: set[str], upstream: bool, downstream: bool) -> set[str]:
    chosen = set(task_ids)
    for wanted, edges in ((upstream, upstream_map(data)), (downstream, downstream_map(data))):
        todo = list(task_ids) if wanted else []
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in chosen:
                    chosen.add(nxt)
                    todo.append(nxt)
    return chosen


@router.patch(BASE + "/{task_id}", response_model=schemas.TaskInstanceCollectionResponse)
def patch_task_instance(request: Request, dag_id: str, dag_run_id: str, task_id: str,
                        body: schemas.PatchTaskInstanceBody, dry_run: bool = False):
    """Mark a task instance (and its upstream/downstream) success or failed."""
    cluster, run, _ = _ti(request, dag_id, dag_run_id, task_id)
    if body.note is not None:
        raise InvalidInputError("notes are not stored by chordflow: leave `note` out")
    for name in ("include_future", "include_past"):
        if getattr(body, name):
            raise InvalidInputError(f"{name} is not supported by chordflow: mark each run")
    data = version_data(cluster, run.dag_version_id)
    chosen = _related(data, {task_id}, body.include_upstream, body.include_downstream)
    if not dry_run:
        for tid in [t["task_id"] for t in data["tasks"] if t["task_id"] in chosen]:
            services.mark_task(cluster, run.id, tid, body.new_state)
    run = run_or_404(cluster, dag_id, dag_run_id)
    tis = [t for t in ti_store.task_instances(cluster.store, run.id)
           if t.task_id in chosen and t.map_index == -1]
    return schemas.TaskInstanceCollectionResponse(
        task_instances=[ti_response(t, run) for t in tis], total_entries=len(tis))


@router.post("/dags/{dag_id}/clearTaskInstances",
             response_model=schemas.TaskInstanceCollectionResponse)
def clear_task_instances(request: Request, dag_id: str, body: schemas.ClearTaskInstancesBody):
    """Run task instances of one run again (Airflow's date ranges are not offered: give
    `dag_run_id`). Defaults as Airflow's: `dry_run` and `only_failed` are true."""
    cluster = cluster_of(request)
    dag_or_404(cluster, dag_id)
    if body.dag_run_id is None:
        raise InvalidInputError("dag_run_id is required: chordflow clears within one run")
    if body.only_failed and body.only_running:
        raise InvalidInputError("only_failed and only_running exclude each other")
    for name in ("include_future", "include_past"):
        if getattr(body, name):
            raise InvalidInputError(f"{name} is not supported by chordflow: clear each run")
    if not body.reset_dag_runs:
        raise InvalidInputError("reset_dag_runs=false is not supported: a cleared run runs")
    run = run_or_404(cluster, dag_id, body.dag_run_id)
    data = version_data(cluster, run.dag_version_id)
    known = set(data["_index"])
    wanted = set(body.task_ids) if body.task_ids is not None else known
    if wanted - known:
        raise InvalidInputError(f"DAG {dag_id!r} has no task {sorted(wanted - known)[0]!r}")
    states = {t.task_id: t.state for t in ti_store.task_instances(cluster.store, run.id)
              if t.map_index == -1}
    if body.only_failed:
        wanted = {t for t in wanted if states.get(t) in ("failed", "upstream_failed")}
    if body.only_running:
        wanted = {t for t in wanted if states.get(t) == "running"}
    chosen = _related(data, wanted, body.include_upstream, body.include_downstream) \
        if wanted else set()
    if chosen and not body.dry_run:
        pattern = "^(?:" + "|".join(re.escape(t) for t in sorted(chosen)) + ")$"
        services.clear_tasks(cluster, run.id, pattern)
    run = run_or_404(cluster, dag_id, body.dag_run_id)
    tis = [t for t in ti_store.task_instances(cluster.store, run.id)
           if t.task_id in chosen and t.map_index == -1]
    return schemas.TaskInstanceCollectionResponse(
        task_instances=[ti_response(t, run) for t in tis], total_entries=len(tis))


@router.get(BASE + "/{task_id}/xcomEntries", response_model=schemas.XComCollectionResponse)
def list_xcom_entries(request: Request, dag_id: str, dag_run_id: str, task_id: str,
                      map_index: int | None = None, xcom_key: str | None = None,
                      limit: Limit = 100, offset: Offset = 0):
    cluster, run, _ = _ti(request, dag_id, dag_run_id, task_id)
    rows = browse.xcoms(cluster.store, run.id, task_id, map_index, xcom_key)
    return schemas.XComCollectionResponse(
        xcom_entries=[_xcom(x, run) for x in rows[offset:offset + limit]],
        total_entries=len(rows))


@router.get(BASE + "/{task_id}/xcomEntries/{xcom_key}",
            response_model=schemas.XComResponseNative)
def get_xcom_entry(request: Request, dag_id: str, dag_run_id: str, task_id: str,
                   xcom_key: str, map_index: int = -1):
    cluster, run, _ = _ti(request, dag_id, dag_run_id, task_id)
    rows = browse.xcoms(cluster.store, run.id, task_id, map_index, xcom_key)
    if not rows:
        raise not_found(f"XCom entry with key: `{xcom_key}` not found")
    return schemas.XComResponseNative(**_xcom(rows[0], run).model_dump(),
                                      value=json.loads(rows[0].value))


def _xcom(row, run) -> schemas.XComResponse:  # type: ignore[no-untyped-def]
    return schemas.XComResponse(key=row.key, timestamp=row.timestamp,
                                logical_date=run.logical_date, map_index=row.map_index,
                                task_id=row.task_id, dag_id=run.dag_id, run_id=run.run_id,
                                dag_display_name=run.dag_id)
