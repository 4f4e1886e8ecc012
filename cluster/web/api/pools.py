"""`/pools`: named limits on running task instances, with the slots in use."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cluster.control import pools as pool_services
from cluster.errors import InvalidInputError
from cluster.web.api import schemas
from cluster.web.api.views import cluster_of, not_found

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=10000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def _pool(name: str, slots: int, used: int, description: str | None) -> schemas.PoolResponse:
    return schemas.PoolResponse(
        name=name, slots=slots, description=description, include_deferred=False,
        occupied_slots=used, running_slots=used, queued_slots=0, scheduled_slots=0,
        open_slots=max(slots - used, 0), deferred_slots=0)


@router.get("/pools", response_model=schemas.PoolCollectionResponse)
def list_pools(request: Request, limit: Limit = 100, offset: Offset = 0):
    rows = pool_services.list_pools(cluster_of(request))
    return schemas.PoolCollectionResponse(pools=[_pool(*r) for r in rows[offset:offset + limit]],
                                          total_entries=len(rows))


@router.get("/pools/{pool_name}", response_model=schemas.PoolResponse)
def get_pool(request: Request, pool_name: str):
    for row in pool_services.list_pools(cluster_of(request)):
        if row[0] == pool_name:
            return _pool(*row)
    raise not_found(f"The Pool with name: `{pool_name}` was not found")


@router.post("/pools", response_model=schemas.PoolResponse, status_code=201)
def post_pool(request: Request, body: schemas.PoolBody):
    if body.include_deferred:
        raise InvalidInputError("include_deferred: chordflow has no deferred tasks; leave it false")
    pool_services.set_pool(cluster_of(request), body.name, body.slots, body.description)
    return get_pool(request, body.name)


@router.delete("/pools/{pool_name}", status_code=204)
def delete_pool(request: Request, pool_name: str):
    pool_services.delete_pool(cluster_of(request), pool_name)
    return Response(status_code=204)
