"""`BaseHook` (`airflow.hooks.base`): what hooks share, chiefly `get_connection`."""
from __future__ import annotations

from typing import Any

from .connection import Connection


class BaseHook:
    """Airflow's hook base class: hooks look their connection up by id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        """The connection `conn_id` (environment first, then the metastore)."""
        from .secrets import get_connection

        return get_connection(conn_id)

    @classmethod
    def get_hook(cls, conn_id: str, hook_params: dict[str, Any] | None = None) -> Any:
        return cls.get_connection(conn_id).get_hook(**(hook_params or {}))


__all__ = ["BaseHook"]
