"""The UI's own reads: the grid (runs x tasks) and the graph, shaped for drawing fast.

A 1,000-task DAG with 25 runs is 25,000 cells: they go as one array of state codes per
task, from two queries, so the page opens in well under a second (bench/web_grid.py).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from cluster.states import TaskState
from cluster.store import browse
from cluster.web.api.views import cluster_of, dag_or_404, run_or_404, version_data

router = APIRouter()
STATES = [s.value for s in TaskState]
_CODE = {s: i for i, s in enumerate(STATES)}


def _tasks(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"task_id": t["task_id"], "upstream": t["upstream"], "operator": t.get("operator"),
             "group": t["task_id"].rpartition(".")[0] or None, "mapped": "mapped" in t,
             "trigger_rule": t.get("trigger_rule")} for t in data.get("tasks", [])]


@router.get("/grid/{dag_id}")
def grid(request: Request, dag_id: str, runs: int = Query(25, ge=1, le=365)) -> Response:
    """Runs (oldest first), the DAG's tasks in order, and per task a state code per run
    (-1: no task instance); mapped tasks carry their children's state counts per run."""
    cluster = cluster_of(request)
    dag = dag_or_404(cluster, dag_id)
    chosen, cells = browse.grid(cluster.store, dag_id, runs)
    data = version_data(cluster, dag.latest_version_id)
    tasks = _tasks(data)
    order = {t["task_id"]: i for i, t in enumerate(tasks)}
    column = {r.id: i for i, r in enumerate(chosen)}
    states = [[-1] * len(chosen) for _ in tasks]
    mapped: dict[str, list[dict[str, int]]] = {}
    for run_pk, task_id, map_index, state in cells:
        row = order.get(task_id)
        if row is None:  # a task of an older version of the DAG
            row = order[task_id] = len(tasks)
            tasks.append({"task_id": task_id, "upstream": [], "operator": None,
                          "group": task_id.rpartition(".")[0] or None, "mapped": False,
                          "trigger_rule": None, "removed": True})
            states.append([-1] * len(chosen))
        if map_index < 0:
            states[row][column[run_pk]] = _CODE.get(state, -1)
        else:
            counts = mapped.setdefault(task_id, [{} for _ in chosen])[column[run_pk]]
            counts[state] = counts.get(state, 0) + 1
    body = {
        "dag_id": dag_id, "states": STATES,
        "runs": [{"dag_run_id": r.run_id, "state": r.state, "run_type": r.run_type,
                  "logical_date": _iso(r.logical_date), "start_date": _iso(r.start_date),
                  "end_date": _iso(r.end_date)} for r in chosen],
        "tasks": tasks, "cells": states, "mapped": mapped,
    }
    # Encoded here: FastAPI's generic encoder walks 25,000 cells one by one.
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


@router.get("/graph/{dag_id}")
def graph(request: Request, dag_id: str, dag_run_id: str | None = None) -> dict[str, Any]:
    """Tasks with their upstreams and, for a run, each one's state."""
    cluster = cluster_of(request)
    dag = dag_or_404(cluster, dag_id)
    version = dag.latest_version_id
    states: dict[str, str] = {}
    if dag_run_id:
        run = run_or_404(cluster, dag_id, dag_run_id)
        version = run.dag_version_id
        rows, _ = browse.task_instances_page(cluster.store, dag_id, run.id, limit=100_000)
        states = {t.task_id: t.state for t, _ in rows if t.map_index == -1}
    tasks = _tasks(version_data(cluster, version))
    for t in tasks:
        t["state"] = states.get(t["task_id"])
    return {"dag_id": dag_id, "tasks": tasks}


@router.get("/recent_runs")
def recent_runs(request: Request, dag_id: list[str] = Query([], max_length=1000)
                ) -> dict[str, list[dict[str, Any]]]:
    """The last runs of each DAG on the list page, newest last."""
    cluster = cluster_of(request)
    found = browse.latest_runs(cluster.store, dag_id, per_dag=10)
    return {d: [{"dag_run_id": r.run_id, "state": r.state} for r in runs[::-1]]
            for d, runs in found.items()}


@router.get("/config")
def config(request: Request) -> dict[str, Any]:
    """What the UI needs to know about this installation."""
    return {"flower_url": request.app.state.settings.flower_url or None}
