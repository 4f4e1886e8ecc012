"""Where variables and connections come from: the environment first, then a backend.

Lookup order, as in Airflow: `CHORDFLOW_VAR_<KEY>` / `AIRFLOW_VAR_<KEY>` (and
`..._CONN_<ID>`) in the environment, then the active backend: the metastore (the
database, values Fernet-encrypted: cluster/control/metastore_secrets.py) on workers and in the
CLI, or the task API inside a running try (workers/task_api/, no database credentials). Every secret
handed out is registered with the masker so it prints as `***` afterwards.
"""
from __future__ import annotations

import os
import threading
from typing import Protocol

from cluster.sdk.connection import Connection
from cluster.errors import AirflowNotFoundException
from cluster.security.masking import MASKER

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
        # Imported here, not above: a running try installs the task API's backend first,
        # so the task side never loads the store (and has no database to reach).
        from cluster.control.metastore_secrets import from_settings

        found = from_settings()
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

