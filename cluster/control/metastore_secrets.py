"""The metastore secrets backend: variables and connections in the database, encrypted."""
from __future__ import annotations

from cluster.config import Settings
from cluster.sdk.connection import Connection
from cluster.security.crypto import Crypto
from cluster.store import Store
from cluster.store import secrets as secret_store


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

    def list_variables(self) -> list:
        """Every stored variable's row (values as stored: decrypt with `self.crypto`)."""
        return secret_store.list_variables(self.store)

    def list_connections(self) -> list:
        """Every stored connection's row."""
        return secret_store.list_connections(self.store)


def from_settings(settings: Settings | None = None) -> MetastoreBackend:
    """The metastore the settings (by default the environment's) name."""
    settings = settings or Settings.from_env()
    return MetastoreBackend(Store(settings.database_url, pool_size=1), Crypto(settings.fernet_key))
