"""`BaseHook` (`airflow.hooks.base`): what hooks share, chiefly `get_connection`."""
from __future__ import annotations

import logging

from typing import Any

from cluster.sdk.connection import Connection


class BaseHook:
    """Airflow's hook base class: hooks look their connection up by id."""

    def __init__(self, *args: Any, logger_name: str | None = None, **kwargs: Any) -> None:
        self._logger_name = logger_name

    @property
    def log(self) -> logging.Logger:
        """A logger named by the hook's class (or `logger_name`), as Airflow's hooks have."""
        cls = type(self)
        return logging.getLogger(getattr(self, "_logger_name", None)
                                 or f"{cls.__module__}.{cls.__qualname__}")

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        """The connection `conn_id` (environment first, then the metastore)."""
        from cluster.sdk.secrets import get_connection

        return get_connection(conn_id)

    @classmethod
    def get_hook(cls, conn_id: str, hook_params: dict[str, Any] | None = None) -> Any:
        return cls.get_connection(conn_id).get_hook(**(hook_params or {}))


__all__ = ["BaseHook"]
