"""A DAG's structure as plain JSON: what the store keeps and what the compiler reads."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from typing import Any

from . import params as param_values
from . import mapping
from .dag import DAG
from .schedules import as_utc, to_text


def serialize_dag(dag: DAG, dags_folder: str | os.PathLike | None = None) -> dict[str, Any]:
    order = dag.topological_order()
    fileloc = dag.fileloc or ""
    relative = fileloc
    if dags_folder and fileloc:
        try:
            relative = os.path.relpath(fileloc, dags_folder)
        except ValueError:
            relative = fileloc
    tasks = []
    for task_id in order:
        task = dag.task_dict[task_id]
        tasks.append({
            "task_id": task_id,
            "operator": task.operator_name,
            "upstream": sorted(task.upstream_task_ids),
            "trigger_rule": str(task.trigger_rule),
            "retries": task.retries,
            "retry_delay": task.retry_delay,
            "retry_exponential_backoff": task.retry_exponential_backoff,
            "max_retry_delay": task.max_retry_delay,
            "execution_timeout": task.execution_timeout,
            "queue": task.queue,
            "pool": task.pool,
            "pool_slots": task.pool_slots,
            "max_active_tis_per_dag": task.max_active_tis_per_dag,
            "priority_weight": task.priority_weight,
            "is_empty": bool(getattr(task, "is_empty", False)),
            "skips": _skip_kind(task),
            "callbacks": sorted(n for n in _CALLBACKS if getattr(task, n, None)),
        })
        if hasattr(task, "marker"):  # ExternalTaskMarker: what `clear --downstream` follows
            tasks[-1]["external_marker"] = task.marker()
        if task.depends_on_past:  # only then, so other tasks keep their digest
            tasks[-1].update(depends_on_past=True,
                             wait_for_downstream=task.wait_for_downstream,
                             ignore_first_depends_on_past=task.ignore_first_depends_on_past)
        expand = getattr(task, "_expand_input", None)
        if expand is not None:
            tasks[-1]["mapped"] = mapping.serialize(expand)
    out = {
        "dag_id": dag.dag_id,
        "fileloc": fileloc,
        "relative_fileloc": relative,
        "description": dag.description,
        "schedule": to_text(dag.schedule),
        "start_date": _iso(dag.start_date),
        "end_date": _iso(dag.end_date),
        "catchup": dag.catchup,
        "is_paused_upon_creation": dag.is_paused_upon_creation,
        "max_active_runs": dag.max_active_runs,
        "dag_callbacks": sorted(n for n in _CALLBACKS[:2] if getattr(dag, n, None)),
        "dagrun_timeout": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        "tags": list(dag.tags),
        "params": _jsonable(param_values.values(dag.params)),
        "tasks": tasks,
    }
    if dag.task_group_dict:  # only then, so DAGs without groups keep their digest
        out["task_groups"] = {
            gid: {"roots": sorted(t.task_id for t in group.get_roots()),
                  "tooltip": group.tooltip}
            for gid, group in dag.task_group_dict.items()}
    schemas = param_values.schemas(dag.params)
    if schemas:  # only then, so DAGs without Params keep their digest
        out["params_schema"] = schemas
    return out


def digest(data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "fileloc"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def upstream_map(data: dict[str, Any]) -> dict[str, list[str]]:
    return {t["task_id"]: t["upstream"] for t in data["tasks"]}


def downstream_map(data: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {t["task_id"]: [] for t in data["tasks"]}
    for t in data["tasks"]:
        for u in t["upstream"]:
            out[u].append(t["task_id"])
    return out


_CALLBACKS = ("on_success_callback", "on_failure_callback", "on_retry_callback")


def _skip_kind(task: Any) -> str | None:
    """How the task may skip others when it ends: "branch", or a short circuit ("all" /
    "direct")."""
    if getattr(task, "branches", False):
        return "branch"
    return getattr(task, "short_circuit", None)


def _iso(when: dt.datetime | None) -> str | None:
    return as_utc(when).isoformat() if when is not None else None


def _jsonable(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {}
