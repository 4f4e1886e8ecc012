"""Clearing across DAGs: a cleared ExternalTaskMarker clears the task it names, as Airflow's
`clear` with downstream follows markers into other DAGs."""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Callable, Iterable

from sqlalchemy import select

from cluster.errors import InvalidInputError
from cluster.sdk.schedules import from_text
from cluster.timezones import as_utc
from cluster.store import Store
from cluster.store.models import DagRun
from cluster.sdk.templating import environment, render, template_context

log = logging.getLogger(__name__)

# clear(cluster, run_pk, task_regex, downstream, marker_depth) -> (run, cleared ids)
Clear = Callable[..., tuple[Any, list[str]]]


def follow_markers(cluster: Any, run: Any, data: dict[str, Any], cleared: Iterable[str],
                   depth: int | None, clear: Clear) -> list[str]:
    """Clear, with their downstream, the external tasks that the cleared markers name;
    returns them as `dag_id/run_id:task_id`. `depth` is how many markers deep this clear
    may still go (None: the first marker's `recursion_depth`)."""
    out: list[str] = []
    for task_id in cleared:
        marker = data["_index"][task_id].get("external_marker")
        if not marker:
            continue
        left = marker["recursion_depth"] if depth is None else depth
        if left <= 0:
            raise InvalidInputError(
                f"Maximum recursion depth {marker['recursion_depth']} reached for "
                f"ExternalTaskMarker {task_id}. Attempted to clear too many tasks or there "
                "may be a cyclic dependency.")
        dag_id, task = (_render(v, run, data) for v in (marker["dag_id"], marker["task_id"]))
        when = _parse(_render(marker["logical_date"], run, data), task_id)
        other = _run_at(cluster.store, dag_id, when)
        if other is None:
            log.info("marker %s: %s has no run at %s; nothing to clear there", task_id, dag_id,
                     when.isoformat())
            continue
        ext_run, ext_cleared = clear(cluster, other, f"^{re.escape(task)}$", downstream=True,
                                     marker_depth=left - 1)
        out.extend(t if "/" in t else f"{ext_run.dag_id}/{ext_run.run_id}:{t}"
                   for t in ext_cleared)
    return out


def _render(value: str, run: Any, data: dict[str, Any]) -> str:
    """A marker's field rendered with the marking run's dates, conf and ids."""
    context = {**template_context(as_utc(run.logical_date), from_text(data.get("schedule"))),
               "dag_run": run, "run_id": run.run_id, "params": dict(run.conf or {}),
               "dag_id": run.dag_id}
    return str(render(value, context, lambda: environment()))


def _parse(text: str, task_id: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"ExternalTaskMarker {task_id}: logical_date {text!r} is not an ISO 8601 date") \
            from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _run_at(store: Store, dag_id: str, when: dt.datetime) -> int | None:
    with store.session() as s:
        return s.scalar(select(DagRun.id).where(DagRun.dag_id == dag_id,
                                               DagRun.logical_date == when)
                        .order_by(DagRun.id.desc()).limit(1))
