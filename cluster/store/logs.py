"""Task logs: appended as a try writes them, read back in pages (never held whole)."""
from __future__ import annotations

import json
from typing import Any, Iterator, Sequence

from sqlalchemy import delete, insert, select, tuple_

from cluster.store.db import Store
from cluster.store.models import DagRun, TaskLog, XCom, utcnow


def append_log(store: Store, run_pk: int, task_id: str, try_number: int, text: str,
               map_index: int = -1) -> None:
    if not text:
        return
    with store.engine.begin() as conn:
        conn.execute(insert(TaskLog).values(run_pk=run_pk, task_id=task_id, map_index=map_index,
                                            try_number=try_number, text=text, created_at=utcnow()))


def read_log(store: Store, run_pk: int, task_id: str, try_number: int | None = None,
             map_index: int = -1, page: int = 256) -> Iterator[tuple[int, str]]:
    """(try_number, text) chunks in the order they were written, read `page` chunks at a
    time: a long log is streamed, never held whole."""
    q = select(TaskLog.id, TaskLog.try_number, TaskLog.text).where(
        TaskLog.run_pk == run_pk, TaskLog.task_id == task_id, TaskLog.map_index == map_index)
    if try_number is not None:
        q = q.where(TaskLog.try_number == try_number)
    after: tuple[int, int] | None = None
    while True:
        paged = q if after is None else q.where(tuple_(TaskLog.try_number, TaskLog.id) >
                                                tuple_(*after))
        with store.engine.connect() as conn:
            rows = conn.execute(paged.order_by(TaskLog.try_number, TaskLog.id).limit(page)).all()
        for _, number, text in rows:
            yield number, text
        if len(rows) < page:
            return
        after = (rows[-1][1], rows[-1][0])
