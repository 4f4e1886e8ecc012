"""Rows of variables and connections (values as stored: encrypted or not, never decrypted here)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from cluster.store.db import Store, retrying
from cluster.store.models import Connection as ConnectionRow
from cluster.store.models import Variable as VariableRow

CONNECTION_FIELDS = ("conn_type", "description", "host", "schema", "login", "password", "port",
                     "extra", "is_encrypted", "is_extra_encrypted")


@retrying
def get_variable(store: Store, key: str) -> VariableRow | None:
    with store.session() as s:
        return s.scalars(select(VariableRow).where(VariableRow.key == key)).first()


@retrying
def set_variable(store: Store, key: str, val: str | None, is_encrypted: bool,
                 description: str | None = None) -> None:
    """Create or replace the variable `key` (one row per key)."""
    with store.session() as s:
        row = s.scalars(select(VariableRow).where(VariableRow.key == key)
                        .with_for_update()).first()
        if row is None:
            s.add(VariableRow(key=key, val=val, is_encrypted=is_encrypted,
                              description=description))
        else:
            row.val, row.is_encrypted = val, is_encrypted
            if description is not None:
                row.description = description


@retrying
def list_variables(store: Store) -> list[VariableRow]:
    with store.session() as s:
        return list(s.scalars(select(VariableRow).order_by(VariableRow.key)))


@retrying
def delete_variable(store: Store, key: str) -> bool:
    with store.session() as s:
        return s.execute(delete(VariableRow).where(VariableRow.key == key)).rowcount > 0


@retrying
def get_connection(store: Store, conn_id: str) -> ConnectionRow | None:
    with store.session() as s:
        return s.scalars(select(ConnectionRow).where(ConnectionRow.conn_id == conn_id)).first()


@retrying
def add_connection(store: Store, conn_id: str, fields: dict[str, Any],
                   replace: bool = False) -> bool:
    """Store a connection; False when `conn_id` exists and `replace` is not set."""
    with store.session() as s:
        row = s.scalars(select(ConnectionRow).where(ConnectionRow.conn_id == conn_id)
                        .with_for_update()).first()
        if row is not None and not replace:
            return False
        if row is None:
            row = ConnectionRow(conn_id=conn_id)
            s.add(row)
        for name in CONNECTION_FIELDS:
            setattr(row, name, fields.get(name))
        return True


@retrying
def list_connections(store: Store) -> list[ConnectionRow]:
    with store.session() as s:
        return list(s.scalars(select(ConnectionRow).order_by(ConnectionRow.conn_id)))


@retrying
def delete_connection(store: Store, conn_id: str) -> bool:
    with store.session() as s:
        return s.execute(delete(ConnectionRow).where(ConnectionRow.conn_id == conn_id)).rowcount > 0
