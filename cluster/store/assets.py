"""Assets, their events, and the runs the events trigger."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from cluster.sdk.asset_events import AssetEventRecord
from cluster.states import RunState
from cluster.timezones import as_utc
from cluster.store.db import RUNS_CHANNEL, Store, retrying
from cluster.store.models import (Asset, AssetDagCursor, AssetEvent, AssetEventDagRun, Dag, DagRun,
                     utcnow)

ASSET_TRIGGERED = "asset_triggered"
_ACTIVE = (RunState.QUEUED.value, RunState.RUNNING.value)


EventRecord = AssetEventRecord


def register(store: Store, assets: Iterable[Mapping[str, Any]]) -> None:
    """Make sure every asset a DAG names has its row (by URI)."""
    assets = {a["uri"]: a for a in assets}
    if not assets:
        return
    with store.session() as s:
        _ensure(s, assets)


def _ensure(s: Session, assets: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    ids = dict(s.execute(select(Asset.uri, Asset.id).where(Asset.uri.in_(list(assets)))).all())
    missing = [a for uri, a in assets.items() if uri not in ids]
    for a in missing:
        # a concurrent writer may add the same URI: a savepoint keeps our transaction
        with s.begin_nested() as nested:
            try:
                s.add(Asset(uri=a["uri"], name=a.get("name") or a["uri"],
                            group=a.get("group") or "asset", extra=a.get("extra") or {}))
                s.flush()
            except Exception:
                nested.rollback()
    if missing:
        ids = dict(s.execute(select(Asset.uri, Asset.id).where(
            Asset.uri.in_(list(assets)))).all())
    return ids


@retrying
def record_events(store: Store, assets: list[Mapping[str, Any]], dag_id: str, task_id: str,
                  run_id: str, map_index: int = -1,
                  extras: Mapping[str, dict[str, Any]] | None = None,
                  through_aliases: list[Mapping[str, Any]] | None = None) -> list[int]:
    """An event for each asset a successful task instance lists in its outlets (with the
    extra it set on it), and one for each asset it attached through an alias
    (`{"alias": name, "asset": {...}, "extra": {...}}`)."""
    now = utcnow()
    through_aliases = list(through_aliases or ())
    with store.session() as s:
        ids = _ensure(s, {a["uri"]: a for a in [*assets, *(t["asset"] for t in through_aliases)]})
        source = {"source_dag_id": dag_id, "source_task_id": task_id, "source_run_id": run_id,
                  "source_map_index": map_index, "timestamp": now}
        rows = [{"asset_id": ids[a["uri"]], "extra": dict((extras or {}).get(a["uri"]) or {}),
                 "source_alias": None, **source} for a in assets]
        rows += [{"asset_id": ids[t["asset"]["uri"]], "extra": dict(t.get("extra") or {}),
                  "source_alias": t["alias"], **source} for t in through_aliases]
        if not rows:
            return []
        return list(s.scalars(insert(AssetEvent).returning(AssetEvent.id), rows))


@retrying
def create_triggered_run(store: Store, dag_id: str, uris: list[str],
                         holds: Callable[[Mapping[str, bool]], bool],
                         max_active_runs: int) -> int | None:
    """A queued asset-triggered run when `holds` is true of the assets updated since the
    DAG's last one, under a lock on the DAG's row. The events are the run's triggering
    events. A DAG seen for the first time starts from the events that exist now."""
    with store.session() as s:
        q = select(Dag).where(Dag.dag_id == dag_id)
        if not store.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        dag = s.scalar(q)
        if dag is None or dag.is_paused or not dag.is_active or dag.latest_version_id is None:
            return None
        cursor = s.get(AssetDagCursor, dag_id)
        if cursor is None:
            s.add(AssetDagCursor(dag_id=dag_id, last_event_id=_max_event(s), updated_at=utcnow()))
            return None
        events = s.execute(
            select(AssetEvent.id, Asset.uri, AssetEvent.timestamp)
            .join(Asset, Asset.id == AssetEvent.asset_id)
            .where(AssetEvent.id > cursor.last_event_id, Asset.uri.in_(uris))
            .order_by(AssetEvent.id)).all()
        if not events or not holds({uri: True for _, uri, _ in events}):
            return None
        active = s.scalar(select(func.count()).select_from(DagRun).where(
            DagRun.dag_id == dag_id, DagRun.state.in_(_ACTIVE)))
        if active >= max_active_runs:
            return None
        stamps = [as_utc(t) for _, _, t in events]
        first, last = min(stamps), max(stamps)
        run = DagRun(dag_id=dag_id, run_id=f"{ASSET_TRIGGERED}__{last.isoformat()}",
                     dag_version_id=dag.latest_version_id, state=RunState.QUEUED.value,
                     run_type=ASSET_TRIGGERED, conf={}, logical_date=last,
                     data_interval_start=first, data_interval_end=last, created_at=utcnow())
        s.add(run)
        s.flush()
        s.execute(insert(AssetEventDagRun), [{"run_pk": run.id, "event_id": i}
                                             for i, _, _ in events])
        cursor.last_event_id, cursor.updated_at = events[-1][0], utcnow()
        if not store.is_sqlite:
            s.execute(text(f"NOTIFY {RUNS_CHANNEL}"))
        return run.id


def skip_events_while_paused(store: Store) -> None:
    """Events that happen while an asset-scheduled DAG is paused do not trigger it later
    (as in Airflow, which queues them only for unpaused DAGs)."""
    with store.session() as s:
        paused = select(Dag.dag_id).where(Dag.is_paused.is_(True))
        s.execute(update(AssetDagCursor).where(AssetDagCursor.dag_id.in_(paused))
                  .values(last_event_id=_max_event(s)))


def _max_event(s: Session) -> int:
    return s.scalar(select(func.coalesce(func.max(AssetEvent.id), 0)))


def _record(row: Any) -> EventRecord:
    return EventRecord(row.id, row.uri, row.name, row.extra or {}, as_utc(row.timestamp),
                       row.source_dag_id, row.source_task_id, row.source_run_id,
                       row.source_map_index)


_EVENT_COLUMNS = (AssetEvent.id, Asset.uri, Asset.name, AssetEvent.extra, AssetEvent.timestamp,
                  AssetEvent.source_dag_id, AssetEvent.source_task_id,
                  AssetEvent.source_run_id, AssetEvent.source_map_index)


def run_events(store: Store, run_pk: int) -> list[EventRecord]:
    """The events that triggered a run, oldest first."""
    with store.session() as s:
        rows = s.execute(select(*_EVENT_COLUMNS).join(Asset, Asset.id == AssetEvent.asset_id)
                         .join(AssetEventDagRun, AssetEventDagRun.event_id == AssetEvent.id)
                         .where(AssetEventDagRun.run_pk == run_pk).order_by(AssetEvent.id))
        return [_record(r) for r in rows]


def events_of(store: Store, uri: str, limit: int = 50) -> list[EventRecord]:
    """An asset's latest events, oldest first."""
    with store.session() as s:
        rows = s.execute(select(*_EVENT_COLUMNS).join(Asset, Asset.id == AssetEvent.asset_id)
                         .where(Asset.uri == uri).order_by(AssetEvent.id.desc()).limit(limit))
        return [_record(r) for r in reversed(list(rows))]


def events_through(store: Store, alias: str, limit: int = 50) -> list[EventRecord]:
    """The latest events that came through an alias, oldest first."""
    with store.session() as s:
        rows = s.execute(select(*_EVENT_COLUMNS).join(Asset, Asset.id == AssetEvent.asset_id)
                         .where(AssetEvent.source_alias == alias)
                         .order_by(AssetEvent.id.desc()).limit(limit))
        return [_record(r) for r in reversed(list(rows))]


def resolved_aliases(store: Store, aliases: Iterable[str]) -> dict[str, list[str]]:
    """alias name -> the URIs of the assets attached through it so far."""
    aliases = list(aliases)
    out: dict[str, list[str]] = {a: [] for a in aliases}
    if not aliases:
        return out
    with store.session() as s:
        for alias, uri in s.execute(select(AssetEvent.source_alias, Asset.uri).distinct()
                                    .join(Asset, Asset.id == AssetEvent.asset_id)
                                    .where(AssetEvent.source_alias.in_(aliases))):
            out[alias].append(uri)
    return out


def list_assets(store: Store) -> list[tuple[Asset, int, dt.datetime | None]]:
    """Every asset with its number of events and the time of the latest."""
    counts = select(AssetEvent.asset_id, func.count().label("n"),
                    func.max(AssetEvent.timestamp).label("last")) \
        .group_by(AssetEvent.asset_id).subquery()
    with store.session() as s:
        rows = s.execute(select(Asset, func.coalesce(counts.c.n, 0), counts.c.last)
                         .outerjoin(counts, counts.c.asset_id == Asset.id)
                         .order_by(Asset.uri)).all()
        s.expunge_all()
        return [(a, n, as_utc(t) if t else None) for a, n, t in rows]
