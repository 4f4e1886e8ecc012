"""`/variables` and `/connections`: sensitive values masked, passwords never returned."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cluster.security.crypto import Crypto
from cluster.security.masking import MASK, MASKER, should_hide_value_for_key
from cluster.control.metastore_secrets import MetastoreBackend
from cluster.store import secrets as secret_store
from cluster.web.api import schemas
from cluster.web.api.views import cluster_of, not_found

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=10000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def _backend(request: Request) -> MetastoreBackend:
    cluster = cluster_of(request)
    return MetastoreBackend(cluster.store, Crypto(cluster.settings.fernet_key))


def _shown(key: str, value: str | None) -> str | None:
    if value is None:
        return None
    if should_hide_value_for_key(key):
        return MASK
    if value[:1] in "{[":
        try:
            return json.dumps(MASKER.redact(json.loads(value)))
        except ValueError:
            pass
    return value


def _variable(backend: MetastoreBackend, row) -> schemas.VariableResponse:  # type: ignore[no-untyped-def]
    return schemas.VariableResponse(
        key=row.key, value=_shown(row.key, backend.crypto.decrypt(row.val, row.is_encrypted)),
        description=row.description, is_encrypted=row.is_encrypted)


@router.get("/variables", response_model=schemas.VariableCollectionResponse)
def list_variables(request: Request, limit: Limit = 100, offset: Offset = 0):
    backend = _backend(request)
    rows = secret_store.list_variables(backend.store)
    return schemas.VariableCollectionResponse(
        variables=[_variable(backend, r) for r in rows[offset:offset + limit]],
        total_entries=len(rows))


@router.get("/variables/{variable_key}", response_model=schemas.VariableResponse)
def get_variable(request: Request, variable_key: str):
    backend = _backend(request)
    row = secret_store.get_variable(backend.store, variable_key)
    if row is None:
        raise not_found(f"The Variable with key: `{variable_key}` was not found")
    return _variable(backend, row)


@router.post("/variables", response_model=schemas.VariableResponse, status_code=201)
def post_variable(request: Request, body: schemas.VariableBody):
    backend = _backend(request)
    backend.set_variable(body.key, body.value, body.description)
    return get_variable(request, body.key)


@router.delete("/variables/{variable_key}", status_code=204)
def delete_variable(request: Request, variable_key: str):
    if not _backend(request).delete_variable(variable_key):
        raise not_found(f"The Variable with key: `{variable_key}` was not found")
    return Response(status_code=204)


def _connection(backend: MetastoreBackend, row) -> schemas.ConnectionResponse:  # type: ignore[no-untyped-def]
    extra = backend.crypto.decrypt(row.extra, row.is_extra_encrypted)
    return schemas.ConnectionResponse(
        connection_id=row.conn_id, conn_type=row.conn_type, description=row.description,
        host=row.host, login=row.login, schema=row.schema, port=row.port,
        password=MASK if row.password else None, extra=_shown("extra", extra))


@router.get("/connections", response_model=schemas.ConnectionCollectionResponse,
            response_model_by_alias=True)
def list_connections(request: Request, limit: Limit = 100, offset: Offset = 0):
    backend = _backend(request)
    rows = secret_store.list_connections(backend.store)
    return schemas.ConnectionCollectionResponse(
        connections=[_connection(backend, r) for r in rows[offset:offset + limit]],
        total_entries=len(rows))


@router.get("/connections/{connection_id}", response_model=schemas.ConnectionResponse,
            response_model_by_alias=True)
def get_connection(request: Request, connection_id: str):
    backend = _backend(request)
    row = secret_store.get_connection(backend.store, connection_id)
    if row is None:
        raise not_found(f"The Connection with connection_id: `{connection_id}` was not found")
    return _connection(backend, row)
