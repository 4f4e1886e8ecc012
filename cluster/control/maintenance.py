"""The database's upkeep behind `chordflow db ...`: migrating the schema and deleting what
is older than a cut-off (Airflow's `db migrate` and `db clean`)."""
from __future__ import annotations

import datetime as dt
import time

from cluster.errors import ServiceUnavailableError
from cluster.store import Store, retention

CLEANABLE_TABLES: tuple[str, ...] = tuple(retention.TABLES)


def upgrade_schema(database_url: str, wait_s: float = 0.0) -> str:
    """Create or migrate the schema to the newest version, waiting up to `wait_s` for the
    database to come up (a migration job may start before it); the store's name."""
    store = Store(database_url)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                store.check()
                break
            except ServiceUnavailableError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        store.upgrade()
        return str(store)
    finally:
        store.dispose()


def clean(database_url: str, before: dt.datetime, tables: list[str], dry_run: bool
          ) -> dict[str, int]:
    """Rows deleted (or, with `dry_run`, that would be) per table, older than `before`."""
    store = Store(database_url)
    try:
        return retention.clean(store, before, tables, dry_run)
    finally:
        store.dispose()
