"""Rendered template fields of task instances (`chordflow tasks render`)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from cluster.store.db import Store, retrying
from cluster.store.models import RenderedTaskInstanceFields as Row


@retrying
def save(store: Store, run_pk: int, task_id: str, map_index: int, try_number: int,
         fields: dict[str, Any]) -> None:
    """Keep the fields of the latest try (replacing an earlier try's)."""
    with store.session() as s:
        s.execute(delete(Row).where(Row.run_pk == run_pk, Row.task_id == task_id,
                                    Row.map_index == map_index))
        s.add(Row(run_pk=run_pk, task_id=task_id, map_index=map_index, try_number=try_number,
                  rendered_fields=fields))


@retrying
def load(store: Store, run_pk: int, task_id: str, map_index: int = -1) -> Row | None:
    with store.session() as s:
        return s.scalars(select(Row).where(Row.run_pk == run_pk, Row.task_id == task_id,
                                           Row.map_index == map_index)).first()
