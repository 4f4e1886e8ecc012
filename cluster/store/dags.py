"""DAG rows, their immutable versions, and import errors."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from cluster.planning.serialization import closers, priority_weights
from cluster.sdk.setup_teardown import effective_leaves
from cluster.store.db import Store
from cluster.store.models import Dag, DagVersion, ImportErrorRecord, utcnow


def sync_dags(store: Store, serialized: Iterable[dict[str, Any]], digests: dict[str, str],
              import_errors: dict[str, str], parsed_files: Iterable[str],
              deactivate_missing: bool = True,
              paused_at_creation: bool = False) -> dict[str, int]:
    """Record what a parse of the DAGs folder found; returns dag_id -> latest version id.

    A DAG seen for the first time is paused when `paused_at_creation` says so, unless its
    file says otherwise (`is_paused_upon_creation`). Parsers may record at once (the DAG
    processor, a trigger parsing for an unknown DAG, a second scheduler): the one that
    finds a row another has just inserted records again, over the committed rows."""
    serialized, parsed_files = list(serialized), set(parsed_files)
    for attempt in range(3):
        try:
            return _sync(store, serialized, digests, import_errors, parsed_files,
                         deactivate_missing, paused_at_creation)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _sync(store: Store, serialized: list[dict[str, Any]], digests: dict[str, str],
          import_errors: dict[str, str], parsed_files: set[str], deactivate_missing: bool,
          paused_at_creation: bool) -> dict[str, int]:
    versions: dict[str, int] = {}
    now = utcnow()
    with store.session() as s:
        seen = set()
        for data in serialized:
            dag_id = data["dag_id"]
            seen.add(dag_id)
            row = s.get(Dag, dag_id)
            if row is None:
                paused = data.get("is_paused_upon_creation")
                row = Dag(dag_id=dag_id, fileloc=data["fileloc"], is_active=True,
                          is_paused=paused_at_creation if paused is None else paused)
                s.add(row)
            row.fileloc = data["fileloc"]
            row.description = data.get("description")
            row.schedule = data.get("schedule")
            row.tags = data.get("tags", [])
            row.is_active = True
            row.last_parsed_at = now
            s.flush()
            digest = digests[dag_id]
            version = s.scalar(select(DagVersion).where(
                DagVersion.dag_id == dag_id, DagVersion.digest == digest))
            if version is None:
                version = DagVersion(dag_id=dag_id, digest=digest, data=data)
                s.add(version)
                s.flush()
            row.latest_version_id = version.id
            versions[dag_id] = version.id
        if deactivate_missing:
            for row in s.scalars(select(Dag).where(Dag.is_active.is_(True))):
                if row.dag_id not in seen and (row.fileloc in parsed_files or
                                               row.fileloc not in import_errors):
                    row.is_active = False
        s.execute(delete(ImportErrorRecord).where(
            ImportErrorRecord.filename.in_(parsed_files - set(import_errors))))
        for filename, message in import_errors.items():
            rec = s.scalar(select(ImportErrorRecord).where(ImportErrorRecord.filename == filename))
            if rec is None:
                s.add(ImportErrorRecord(filename=filename, message=message, timestamp=now))
            else:
                rec.message, rec.timestamp = message, now
    return versions


def list_dags(store: Store, include_inactive: bool = False) -> list[Dag]:
    with store.session() as s:
        q = select(Dag).order_by(Dag.dag_id)
        if not include_inactive:
            q = q.where(Dag.is_active.is_(True))
        return list(s.scalars(q))


def get_dag(store: Store, dag_id: str) -> Dag | None:
    with store.session() as s:
        return s.get(Dag, dag_id)


def list_import_errors(store: Store) -> list[ImportErrorRecord]:
    with store.session() as s:
        return list(s.scalars(select(ImportErrorRecord).order_by(ImportErrorRecord.filename)))


_VERSIONS: dict[tuple[int, int], dict[str, Any]] = {}


def version_data(store: Store, version_id: int) -> dict[str, Any]:
    """A DAG version's structure; versions never change, so each is read once per process."""
    key = (id(store), version_id)
    data = _VERSIONS.get(key)
    if data is None:
        with store.session() as s:
            row = s.get(DagVersion, version_id)
            if row is None:
                raise KeyError(f"no DAG version {version_id}")
            data = row.data
        data["_index"] = {t["task_id"]: t for t in data["tasks"]}
        # Only a leaf's end can close a run: a task with downstreams ends before them.
        # A teardown is not one unless it fails the run (on_failure_fail_dagrun).
        data["_leaves"] = effective_leaves(data["tasks"])
        # ...and an upstream of a task that does not wait for all of its upstreams.
        data["_closers"] = closers(data)
        for task_id, weight in priority_weights(data).items():
            data["_index"][task_id]["_weight"] = weight
        _VERSIONS[key] = data
    return data


def set_paused(store: Store, dag_id: str, paused: bool) -> bool:
    """Pause or unpause a DAG; False when there is no such DAG."""
    with store.session() as s:
        row = s.get(Dag, dag_id)
        if row is None:
            return False
        row.is_paused = paused
        return True
