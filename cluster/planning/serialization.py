"""A DAG's structure as plain JSON: what the store keeps and what the compiler reads."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from typing import Any

from cluster.sdk import params as param_values
from cluster.sdk import expand as mapping, setup_teardown
from cluster.planning.compiler import Plan, compile_plan
from cluster.sdk.dag import DAG
from cluster.json_values import json_safe
from cluster.sdk.schedules import to_text
from cluster.sdk.timetables import Timetable
from cluster.sdk.timetables import codec as timetable_codec
from cluster.timezones import as_utc, zone_name
from cluster.sdk.trigger_rules import FIRES_EARLY, TriggerRule


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
    # scopes are only computed for DAGs with setups or teardowns: the search is quadratic
    with_setups = any(t.is_setup or t.is_teardown for t in dag.task_dict.values())
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
        if with_setups:  # only what is set, so other DAGs keep their digest
            tasks[-1].update(setup_teardown.spec_fields(dag, task))
        if getattr(task, "outlets", None):  # only then, so other DAGs keep their digest
            tasks[-1]["outlets"] = [a.as_json()["asset"] for a in task.outlets
                                    if "asset" in a.as_json()]
        # Only when set, so that DAGs without them keep their digest.
        extra = {"max_active_tis_per_dagrun": getattr(task, "max_active_tis_per_dagrun", None),
                 "start_date": _iso(getattr(task, "start_date", None)),
                 "end_date": _iso(getattr(task, "end_date", None)),
                 "weight_rule": getattr(task, "weight_rule", "downstream")}
        tasks[-1].update({k: v for k, v in extra.items() if v and v != "downstream"})
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
        "schedule": _schedule_text(dag),
        "timetable": timetable_codec.encode(dag.timetable),
        "timezone": zone_name(dag.timezone),
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
                  "tasks": sorted(group.iter_task_ids()), "tooltip": group.tooltip}
            for gid, group in dag.task_group_dict.items()}
    if getattr(dag, "max_active_tasks", None):
        out["max_active_tasks"] = dag.max_active_tasks
    if getattr(dag, "fail_stop", False):
        out["fail_stop"] = True
    schemas = param_values.schemas(dag.params)
    if schemas:  # only then, so DAGs without Params keep their digest
        out["params_schema"] = schemas
    return out


def _schedule_text(dag: DAG) -> str | None:
    """The schedule as `chordflow dags list` shows it (None: no scheduled runs)."""
    if isinstance(dag.schedule, (Timetable, list, tuple)) or not isinstance(
            dag.schedule, (str, dt.timedelta, type(None))):
        if not dag.timetable.can_be_scheduled:
            return None
        return str(dag.timetable.summary)[:100]
    return to_text(dag.schedule)


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


def run_plan(data: dict[str, Any]) -> Plan:
    """The canvas plan of a DAG version. Tasks whose trigger rule fires early are early
    joins; an `always` task waits for none of its upstreams (Airflow runs it at once)."""
    always = {t["task_id"] for t in data["tasks"] if t["trigger_rule"] == TriggerRule.ALWAYS}
    ups = {t["task_id"]: ([] if t["task_id"] in always else t["upstream"])
           for t in data["tasks"]}
    early = {t["task_id"] for t in data["tasks"] if t["trigger_rule"] in FIRES_EARLY}
    return compile_plan(ups, [t["task_id"] for t in data["tasks"]], early)


def closers(data: dict[str, Any]) -> set[str]:
    """Tasks whose end may be the run's last: the leaves, and the upstreams of tasks that
    do not wait for all of theirs (an early join or an `always` task may end first)."""
    out = {t["task_id"] for t in data["tasks"]} - {u for t in data["tasks"] for u in t["upstream"]}
    for t in data["tasks"]:
        if t["trigger_rule"] in FIRES_EARLY or t["trigger_rule"] == TriggerRule.ALWAYS:
            out.update(t["upstream"])
    return out


def outside_dates(spec: dict[str, Any], logical_date: dt.datetime) -> str | None:
    """Why a run at `logical_date` skips a task with its own start_date / end_date (None:
    it runs). Airflow creates no task instance for it; chordflow records it skipped."""
    for key, outside in (("start_date", lambda d: logical_date < d),
                         ("end_date", lambda d: logical_date > d)):
        if spec.get(key) and outside(dt.datetime.fromisoformat(spec[key])):
            return (f"the run's logical date {logical_date.isoformat()} is "
                    f"{'before' if key == 'start_date' else 'after'} the task's {key} "
                    f"{spec[key]}")
    return None


def priority_weights(data: dict[str, Any]) -> dict[str, int]:
    """Each task's effective priority, by its `weight_rule` as in Airflow: its own weight
    plus those of all its descendants ("downstream", the default), of all its ancestors
    ("upstream"), or its own alone ("absolute"). Relatives are sets of bits, so a
    10k-task chain costs milliseconds."""
    tasks = data["tasks"]  # topological order
    bit = {t["task_id"]: 1 << i for i, t in enumerate(tasks)}
    own = [int(t.get("priority_weight") or 1) for t in tasks]
    by_weight: dict[int, int] = {}
    for i, w in enumerate(own):
        by_weight[w] = by_weight.get(w, 0) | (1 << i)

    def total(relatives: int) -> int:
        return sum(w * (relatives & mask).bit_count() for w, mask in by_weight.items())

    rules = {t.get("weight_rule", "downstream") for t in tasks}
    below: dict[str, int] = {}
    if "downstream" in rules:
        children = downstream_map(data)
        for t in reversed(tasks):
            acc = 0
            for c in children[t["task_id"]]:
                acc |= bit[c] | below[c]
            below[t["task_id"]] = acc
    above: dict[str, int] = {}
    if "upstream" in rules:
        for t in tasks:
            acc = 0
            for u in t["upstream"]:
                acc |= bit[u] | above[u]
            above[t["task_id"]] = acc
    out = {}
    for i, t in enumerate(tasks):
        rule = t.get("weight_rule", "downstream")
        relatives = below.get(t["task_id"], 0) if rule == "downstream" else \
            above.get(t["task_id"], 0) if rule == "upstream" else 0
        out[t["task_id"]] = own[i] + total(relatives)
    return out


_CALLBACKS = ("on_success_callback", "on_failure_callback", "on_retry_callback",
              "on_execute_callback", "on_skipped_callback")


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
        return json_safe(value)
    except (TypeError, ValueError):
        return {}
