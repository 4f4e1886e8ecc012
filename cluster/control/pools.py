"""Pools as the front doors manage them: `chordflow pools set/list/delete`, the REST API."""
from __future__ import annotations

from cluster.control.services import Cluster
from cluster.errors import DagDefinitionError, InvalidInputError, NotFoundError
from cluster.sdk.dag import check_id
from cluster.store import pools as pool_store


def set_pool(cluster: Cluster, name: str, slots: int, description: str | None = None) -> None:
    try:
        check_id("pool name", name)
    except DagDefinitionError as exc:
        raise InvalidInputError(str(exc)) from None
    if slots < 0:
        raise InvalidInputError(f"a pool's slots must be 0 or more, got {slots}")
    pool_store.set_pool(cluster.store, name, slots, description)


def list_pools(cluster: Cluster) -> list[tuple[str, int, int, str | None]]:
    return pool_store.list_pools(cluster.store)


def delete_pool(cluster: Cluster, name: str) -> None:
    if not pool_store.delete_pool(cluster.store, name):
        raise NotFoundError(f"no pool {name!r}")
