"""The Alembic migrations build exactly the schema the models describe, on both stores."""
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cluster.store.db import MIGRATIONS, Store
from cluster.store.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'schema.db'}")
        yield store
        store.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    name = "cf_schema_" + uuid.uuid4().hex[:10]
    store = Store(server.create_database(name))
    yield store
    store.dispose()
    server.drop_database(name)


def test_migrations_match_models(store):
    store.upgrade()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"the models and the migrations differ; add a migration: {diff}"


def test_migrations_downgrade_to_nothing(store):
    store.upgrade()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    tables = set(inspect(store.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
