"""Retention: delete what is older than a point in time (`chordflow db clean`, after
Airflow's `airflow db clean`).

A run goes with everything that hangs off it (task instances, XComs, task logs, rendered
fields, fired joins, the asset events it was made from), by the database's cascades. What
stays, whatever its age:
- runs that are not over (queued, running);
- each DAG's latest scheduled run: the scheduler plans the next run from it (Airflow keeps
  it for the same reason, `keep_last`);
- asset events a DAG has not taken into account yet (they would trigger its next run);
- each DAG's latest version, and every version a remaining run points at.
Nothing is archived: the rows are deleted.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import Connection

from cluster.states import FINAL_RUN_STATES
from cluster.store.db import Store, retrying
from cluster.store.models import (AssetDagCursor, AssetEvent, Dag, DagRun, DagVersion,
                                  ImportErrorRecord, TaskLog, XCom)

_FINAL = [s.value for s in FINAL_RUN_STATES]


def _runs(before: dt.datetime) -> Any:
    latest_scheduled = select(DagRun.dag_id, func.max(DagRun.logical_date).label("last")) \
        .where(DagRun.run_type == "scheduled").group_by(DagRun.dag_id).subquery()
    kept = select(DagRun.id).join(latest_scheduled, and_(
        DagRun.dag_id == latest_scheduled.c.dag_id, DagRun.run_type == "scheduled",
        DagRun.logical_date == latest_scheduled.c.last))
    # a run that never started is judged by when it was made
    return DagRun.__table__, and_(
        DagRun.state.in_(_FINAL), func.coalesce(DagRun.start_date, DagRun.created_at) < before,
        DagRun.id.not_in(kept))


def _asset_events(before: dt.datetime) -> Any:
    pending_from = select(func.min(AssetDagCursor.last_event_id)).scalar_subquery()
    return AssetEvent.__table__, and_(
        AssetEvent.timestamp < before,
        AssetEvent.id <= func.coalesce(pending_from, AssetEvent.id))


def _dag_versions(before: dt.datetime) -> Any:
    # deleted after dag_run (TABLES' order), so versions only old runs used go too
    latest = select(Dag.latest_version_id).where(Dag.latest_version_id.is_not(None))
    in_use = select(DagRun.dag_version_id)
    return DagVersion.__table__, and_(
        DagVersion.created_at < before, DagVersion.id.not_in(latest),
        DagVersion.id.not_in(in_use))


@dataclass(frozen=True)
class CleanTable:
    name: str
    what: str
    rows: Callable[[dt.datetime], Any]   # before -> (table, where clause)


TABLES = {t.name: t for t in (
    CleanTable("dag_run", "finished runs started before it, with their task instances, "
               "XComs, logs and rendered fields", _runs),
    CleanTable("task_log", "task log text written before it",
               lambda before: (TaskLog.__table__, TaskLog.created_at < before)),
    CleanTable("xcom", "XComs pushed before it",
               lambda before: (XCom.__table__, XCom.timestamp < before)),
    CleanTable("import_error", "import errors recorded before it",
               lambda before: (ImportErrorRecord.__table__, ImportErrorRecord.timestamp < before)),
    CleanTable("asset_event", "asset events before it that every DAG has taken into account",
               _asset_events),
    CleanTable("dag_version", "DAG versions made before it that are neither a DAG's latest "
               "nor a remaining run's", _dag_versions),
)}


def _count(conn: Connection, table: Any, where: Any) -> int:
    return conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()


@retrying
def clean(store: Store, before: dt.datetime, tables: list[str], dry_run: bool
          ) -> dict[str, int]:
    """Rows of each named table older than `before`: counted (dry run) or deleted, in one
    transaction, in TABLES' order (runs before the versions they used). Returns {table: rows}."""
    found: dict[str, int] = {}
    with store.engine.begin() as conn:
        for name in [n for n in TABLES if n in tables]:
            table, where = TABLES[name].rows(before)
            found[name] = _count(conn, table, where) if dry_run else \
                conn.execute(delete(table).where(where)).rowcount
    return found
