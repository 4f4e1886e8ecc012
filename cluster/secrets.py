"""Where variables and connections come from: the environment first, then a backend.

Lookup order, as in Airflow: `CHORDFLOW_VAR_<KEY>` / `AIRFLOW_VAR_<KEY>` (and
`..._CONN_<ID>`) in the environment, then the active backend: the metastore (the
database, values Fernet-encrypted) on workers and in the CLI, or the worker's answer
channel inside a task container (which has no database credentials). Every secret
handed out is registered with the masker so it prints as `***` afterwards.
"""
from __future__ import annotations

import os
import threading
from typing import Protocol

from .connection import Connection
from .crypto import Crypto
from .errors import AirflowNotFoundException
from .masking import MASKER
from .store import Store
from .store import secrets as secret_store

ENV_PREFIXES = ("CHORDFLOW_", "AIRFLOW_")


class SecretsBackend(Protocol):
    """A source of variables and connections behind the environment."""

    def get_variable(self, key: str) -> str | None: ...
    def set_variable(self, key: str, value: str, description: str | None = None) -> None: ...
    def delete_variable(self, key: str) -> bool: ...
    def get_connection(self, conn_id: str) -> Connection | None: ...


class EnvironmentBackend:
    """`CHORDFLOW_VAR_KEY` / `AIRFLOW_VAR_KEY` and `..._CONN_ID` (a URI or JSON)."""

    def get_variable(self, key: str) -> str | None:
        return _env("VAR", key)

    def get_connection(self, conn_id: str) -> Connection | None:
        text = _env("CONN", conn_id)
        return Connection.from_text(text, conn_id) if text is not None else None


def _env(kind: str, name: str) -> str | None:
    for prefix in ENV_PREFIXES:
        value = os.environ.get(f"{prefix}{kind}_{name.upper()}")
        if value is not None:
            return value
    return None


class MetastoreBackend:
    """Variables and connections in the database, encrypted with `crypto`."""

    def __init__(self, store: Store, crypto: Crypto) -> None:
        self.store, self.crypto = store, crypto

    def get_variable(self, key: str) -> str | None:
        row = secret_store.get_variable(self.store, key)
        return None if row is None else self.crypto.decrypt(row.val, row.is_encrypted)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        stored, encrypted = self.crypto.encrypt(value)
        secret_store.set_variable(self.store, key, stored, encrypted, description)

    def delete_variable(self, key: str) -> bool:
        return secret_store.delete_variable(self.store, key)

    def get_connection(self, conn_id: str) -> Connection | None:
        row = secret_store.get_connection(self.store, conn_id)
        if row is None:
            return None
        return Connection(
            conn_id=row.conn_id, conn_type=row.conn_type, description=row.description,
            host=row.host, login=row.login, schema=row.schema, port=row.port,
            password=self.crypto.decrypt(row.password, row.is_encrypted),
            extra=self.crypto.decrypt(row.extra, row.is_extra_encrypted))

    def add_connection(self, conn: Connection, replace: bool = False) -> bool:
        password, encrypted = self.crypto.encrypt(conn.password)
        extra, extra_encrypted = self.crypto.encrypt(conn.extra)
        fields = {**conn.to_dict(), "password": password, "extra": extra,
                  "is_encrypted": encrypted, "is_extra_encrypted": extra_encrypted}
        return secret_store.add_connection(self.store, conn.conn_id or "", fields, replace)

    def delete_connection(self, conn_id: str) -> bool:
        return secret_store.delete_connection(self.store, conn_id)


ENVIRONMENT = EnvironmentBackend()
_active = threading.local()
_default: list[SecretsBackend] = []


def use_backend(backend: SecretsBackend | None, thread_only: bool = False) -> None:
    """Make `backend` the one behind the environment (for this process, or this thread)."""
    if thread_only:
        _active.backend = backend
        return
    _default[:] = [backend] if backend is not None else []


def backend() -> SecretsBackend:
    """The active backend; without one, the metastore the environment's settings name."""
    found = getattr(_active, "backend", None) or (_default[0] if _default else None)
    if found is None:
        from .config import Settings

        settings = Settings.from_env()
        found = MetastoreBackend(Store(settings.database_url, pool_size=1),
                                 Crypto(settings.fernet_key))
        _default[:] = [found]
    return found


def get_variable(key: str) -> str | None:
    """The variable's text (None when undefined); a sensitive name's value is masked."""
    value = ENVIRONMENT.get_variable(key)
    if value is None:
        value = backend().get_variable(key)
    if value is not None:
        MASKER.add_for_key(key, value)
        _mask_json(key, value)
    return value


def get_connection(conn_id: str) -> Connection:
    """The connection `conn_id`; its password (and sensitive extras) masked from now on."""
    conn = ENVIRONMENT.get_connection(conn_id) or backend().get_connection(conn_id)
    if conn is None:
        raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
    mask_connection(conn)
    return conn


def mask_connection(conn: Connection) -> None:
    MASKER.add(conn.password)
    for key, value in conn.extra_dejson.items():
        MASKER.add_for_key(key, value)


def _mask_json(key: str, value: str) -> None:
    """A JSON variable's nested sensitive keys are masked too (`{"api_key": ...}`)."""
    if value[:1] in "{[":
        import json

        try:
            MASKER.add_for_key(key, json.loads(value))
        except ValueError:
            pass

