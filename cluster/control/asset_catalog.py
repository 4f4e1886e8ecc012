"""Assets as the front doors list them: which tasks update each, which DAGs wait for it,
and its events (`chordflow assets list/events`, the REST API)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cluster.control.services import Cluster
from cluster.errors import NotFoundError
from cluster.sdk.assets import from_json
from cluster.sdk.timetables.codec import ASSET_TIMETABLES
from cluster.store import assets as asset_store
from cluster.store import dags as dag_store


@dataclasses.dataclass
class AssetSummary:
    """An asset as `chordflow assets list` shows it."""

    uri: str
    group: str
    events: int
    last_event: dt.datetime | None
    producers: list[str]  # dag_id.task_id listing it in outlets
    consumers: list[str]  # DAGs scheduled on it


def list_assets(cluster: Cluster) -> list[AssetSummary]:
    """Every asset: its events, the tasks that update it and the DAGs that wait for it."""
    producers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {}
    for dag in dag_store.list_dags(cluster.store):
        if not dag.is_active or dag.latest_version_id is None:
            continue
        data = dag_store.version_data(cluster.store, dag.latest_version_id)
        for task in data["tasks"]:
            for asset in task.get("outlets") or ():
                producers.setdefault(asset["uri"], []).append(f"{dag.dag_id}.{task['task_id']}")
        timetable = data.get("timetable") or {}
        if timetable.get("type") in ASSET_TIMETABLES:
            for asset in from_json(timetable["data"]["asset_condition"]).iter_assets():
                consumers.setdefault(asset.uri, []).append(dag.dag_id)
    return [AssetSummary(a.uri, a.group, n, last, sorted(producers.get(a.uri, [])),
                         sorted(consumers.get(a.uri, [])))
            for a, n, last in asset_store.list_assets(cluster.store)]


def asset_events(cluster: Cluster, uri: str, limit: int = 50) -> list[Any]:
    """An asset's latest events, oldest first; an unknown URI is an error."""
    if not any(a.uri == uri for a in list_assets(cluster)):
        raise NotFoundError(f"no asset with URI {uri!r}")
    return asset_store.events_of(cluster.store, uri, limit)
