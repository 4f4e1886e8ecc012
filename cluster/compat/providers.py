"""`airflow.providers_manager.ProvidersManager`: what the installed provider wheels declare.

Providers ask it for the SQL dialects, hooks and connection types other providers bring
(common-sql finds the postgres dialect this way); the answers come from each installed
provider's `get_provider_info()`, as in Airflow.
"""
from __future__ import annotations

import importlib.metadata
from typing import Any, NamedTuple

from cluster.compat.namespace import provider_infos


class ProviderInfo(NamedTuple):
    version: str
    data: dict[str, Any]


class DialectInfo(NamedTuple):
    name: str
    dialect_class_name: str
    provider_name: str


class HookInfo(NamedTuple):
    hook_class_name: str
    connection_id_attribute_name: str
    package_name: str
    hook_name: str
    connection_type: str
    connection_testable: bool


class ProvidersManager:
    """The installed providers, read once per instance from their declarations."""

    def __init__(self) -> None:
        self._infos = list(provider_infos())

    @property
    def providers(self) -> dict[str, ProviderInfo]:
        found = {}
        for info in self._infos:
            name = info.get("package-name", "")
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                version = (info.get("versions") or ["unknown"])[0]
            found[name] = ProviderInfo(version, info)
        return found

    @property
    def dialects(self) -> dict[str, DialectInfo]:
        return {entry["dialect-type"]: DialectInfo(entry["dialect-type"],
                                                   entry["dialect-class-name"],
                                                   info.get("package-name", ""))
                for info in self._infos for entry in info.get("dialects", [])}

    @property
    def hooks(self) -> dict[str, HookInfo]:
        return {entry["connection-type"]: HookInfo(
                    entry["hook-class-name"], "conn_id", info.get("package-name", ""),
                    entry.get("hook-name", ""), entry["connection-type"], False)
                for info in self._infos for entry in info.get("connection-types", [])}


__all__ = ["ProvidersManager", "ProviderInfo", "DialectInfo", "HookInfo"]
