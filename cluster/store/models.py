"""SQLAlchemy 2.0 models: the store is the truth about DAGs, runs and task instances."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text,
    TypeDecorator, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cluster.states import RunState, TaskState


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: chordflow stores UTC-aware datetimes")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


ID = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: UtcDateTime}


class Dag(Base):
    __tablename__ = "dag"

    dag_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    fileloc: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    latest_version_id: Mapped[int | None] = mapped_column(ID)
    last_parsed_at: Mapped[dt.datetime | None]


class DagVersion(Base):
    """An immutable snapshot of a DAG's structure; every run points at the one it ran."""

    __tablename__ = "dag_version"
    __table_args__ = (UniqueConstraint("dag_id", "digest"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(ForeignKey("dag.dag_id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ImportErrorRecord(Base):
    __tablename__ = "import_error"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(Text, unique=True)
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DagRun(Base):
    __tablename__ = "dag_run"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id"),
        Index("ix_dag_run_state", "state"),
        Index("ix_dag_run_dag_state", "dag_id", "state"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(ForeignKey("dag.dag_id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(String(250))
    dag_version_id: Mapped[int] = mapped_column(ForeignKey("dag_version.id"))
    state: Mapped[str] = mapped_column(String(20), default=RunState.QUEUED.value)
    run_type: Mapped[str] = mapped_column(String(20), default="manual")
    conf: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    logical_date: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    start_date: Mapped[dt.datetime | None]
    end_date: Mapped[dt.datetime | None]
    # what the timetable gave a scheduled run; None for a triggered run (its task works
    # it out from the DAG's timetable)
    data_interval_start: Mapped[dt.datetime | None]
    data_interval_end: Mapped[dt.datetime | None]


class TaskInstance(Base):
    __tablename__ = "task_instance"
    __table_args__ = (Index("ix_ti_run_state", "run_pk", "state"), Index("ix_ti_state", "state"),
                      Index("ix_ti_pool_state", "pool", "state"))

    run_pk: Mapped[int] = mapped_column(
        ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True, default=-1)
    dag_id: Mapped[str] = mapped_column(String(250))
    state: Mapped[str] = mapped_column(String(20), default=TaskState.NONE.value)
    try_number: Mapped[int] = mapped_column(Integer, default=0)
    max_tries: Mapped[int] = mapped_column(Integer, default=0)
    operator: Mapped[str | None] = mapped_column(String(100))
    queue: Mapped[str | None] = mapped_column(String(100))
    queued_at: Mapped[dt.datetime | None]
    start_date: Mapped[dt.datetime | None]
    end_date: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    next_retry_at: Mapped[dt.datetime | None]
    duration: Mapped[float | None] = mapped_column(Float)
    hostname: Mapped[str | None] = mapped_column(String(250))
    pid: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    pool: Mapped[str | None] = mapped_column(String(256))
    pool_slots: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Pool(Base):
    """A limit on how many task instances that name it run at once, across all workers."""

    __tablename__ = "slot_pool"

    pool: Mapped[str] = mapped_column(String(256), primary_key=True)
    slots: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class XCom(Base):
    __tablename__ = "xcom"

    run_pk: Mapped[int] = mapped_column(
        ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True, default=-1)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON text
    timestamp: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskLog(Base):
    """Log text of one try, stored chunk by chunk as it is produced."""

    __tablename__ = "task_log"
    __table_args__ = (Index("ix_task_log_ti", "run_pk", "task_id", "map_index", "try_number", "id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("dag_run.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(250))
    map_index: Mapped[int] = mapped_column(Integer, default=-1)
    try_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class JoinFired(Base):
    """A non-series-parallel join that has launched its continuation (at most once)."""

    __tablename__ = "join_fired"

    run_pk: Mapped[int] = mapped_column(
        ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    fired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Variable(Base):
    """A key/value the DAGs read (`Variable.get`); the value is Fernet-encrypted when a key
    is configured (`is_encrypted` says which rows are)."""

    __tablename__ = "variable"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(250), unique=True)
    val: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    is_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class Connection(Base):
    """How to reach an external system (`BaseHook.get_connection`); password and extra are
    Fernet-encrypted when a key is configured."""

    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    conn_id: Mapped[str] = mapped_column(String(250), unique=True)
    conn_type: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(500))
    schema: Mapped[str | None] = mapped_column(String(500))
    login: Mapped[str | None] = mapped_column(Text)
    password: Mapped[str | None] = mapped_column(Text)
    port: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[str | None] = mapped_column(Text)
    is_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_extra_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class RenderedTaskInstanceFields(Base):
    """The template fields of a task instance as rendered for its latest try, masked."""

    __tablename__ = "rendered_task_instance_fields"

    run_pk: Mapped[int] = mapped_column(
        ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True, default=-1)
    try_number: Mapped[int] = mapped_column(Integer)
    rendered_fields: Mapped[dict[str, Any]] = mapped_column(JSON)


class Asset(Base):
    """A dataset (Airflow 2's `Dataset`, 3's `Asset`) that tasks update and DAGs wait for."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(String(1500), unique=True)
    name: Mapped[str] = mapped_column(String(1500))
    group: Mapped[str] = mapped_column(String(1500), default="asset")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssetEvent(Base):
    """One update of an asset: a task listing it in `outlets` succeeded."""

    __tablename__ = "asset_event"
    __table_args__ = (Index("ix_asset_event_asset", "asset_id", "id"),
                      Index("ix_asset_event_alias", "source_alias", "id"))

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_dag_id: Mapped[str | None] = mapped_column(String(250))
    source_task_id: Mapped[str | None] = mapped_column(String(250))
    source_run_id: Mapped[str | None] = mapped_column(String(250))
    source_map_index: Mapped[int] = mapped_column(Integer, default=-1)
    timestamp: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the AssetAlias the task attached the asset through, if it did
    source_alias: Mapped[str | None] = mapped_column(String(1500))


class AssetDagCursor(Base):
    """The newest asset event an asset-scheduled DAG has taken into account: events after
    it are the ones its next run waits for (Airflow's asset DAG-run queue)."""

    __tablename__ = "asset_dag_cursor"

    dag_id: Mapped[str] = mapped_column(ForeignKey("dag.dag_id", ondelete="CASCADE"),
                                        primary_key=True)
    last_event_id: Mapped[int] = mapped_column(ID, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssetEventDagRun(Base):
    """The asset events that made a run (its `triggering_asset_events`)."""

    __tablename__ = "asset_event_dag_run"

    run_pk: Mapped[int] = mapped_column(ForeignKey("dag_run.id", ondelete="CASCADE"),
                                        primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("asset_event.id", ondelete="CASCADE"),
                                          primary_key=True)
