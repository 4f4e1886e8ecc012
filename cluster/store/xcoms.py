"""XComs: what tasks push, read back by task id (and map index), run by run."""
from __future__ import annotations

import json
from typing import Any, Iterator, Sequence

from sqlalchemy import delete, insert, select, tuple_

from cluster.store.db import Store
from cluster.store.models import DagRun, TaskLog, XCom, utcnow


def push_xcom(store: Store, run_pk: int, task_id: str, key: str, value_json: str,
              map_index: int = -1) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(XCom).where(XCom.run_pk == run_pk, XCom.task_id == task_id,
                                        XCom.map_index == map_index, XCom.key == key))
        conn.execute(insert(XCom).values(run_pk=run_pk, task_id=task_id, map_index=map_index,
                                         key=key, value=value_json, timestamp=utcnow()))


def run_pk_of(store: Store, dag_id: str, run_id: str) -> int | None:
    """The number of DAG `dag_id`'s run `run_id` (None: it has no such run)."""
    with store.engine.connect() as conn:
        return conn.execute(select(DagRun.id).where(DagRun.dag_id == dag_id,
                                                    DagRun.run_id == run_id)).scalar()


def pull_xcoms(store: Store, run_pk: int, task_ids: Sequence[str], key: str,
               map_index: int | None = None) -> dict[str, Any]:
    """task_id -> value; a mapped task's value is its children's values by map_index, or
    the one of child `map_index` when it is given."""
    out: dict[str, Any] = {}
    query = select(XCom.task_id, XCom.map_index, XCom.value).where(
        XCom.run_pk == run_pk, XCom.task_id.in_(list(task_ids)), XCom.key == key)
    if map_index is not None:
        query = query.where(XCom.map_index == map_index)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(XCom.task_id, XCom.map_index)).all()
    for task_id, index, value in rows:
        if index < 0 or map_index is not None:
            out[task_id] = json.loads(value)
        else:
            out.setdefault(task_id, []).append(json.loads(value))
    return out


def run_xcoms(store: Store, run_pk: int) -> list[tuple[str, int, str, Any]]:
    """Every XCom of a run as (task_id, map_index, key, value): what a container may pull."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(XCom.task_id, XCom.map_index, XCom.key, XCom.value).where(
            XCom.run_pk == run_pk)).all()
    return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]
