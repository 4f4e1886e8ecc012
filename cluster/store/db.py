"""Engine, sessions and schema upgrades; the one place that knows how to reach the database."""
from __future__ import annotations

import contextlib
import functools
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cluster.config import mask_url
from cluster.errors import ConfigError, ServiceUnavailableError

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


class Store:
    """A connection pool to the database plus a session factory; pass it explicitly."""

    def __init__(self, url: str, pool_size: int = 5) -> None:
        for plain in ("postgres://", "postgresql://"):
            if url.startswith(plain):  # psycopg2 is the driver chordflow ships with
                url = "postgresql+psycopg2://" + url[len(plain):]
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            try:
                self.engine = create_engine(
                    # No pre-ping: it costs a round trip per checkout on the hot path; a
                    # connection lost in a restart is invalidated and retried (`retrying`).
                    url, pool_size=pool_size, max_overflow=10, pool_pre_ping=False,
                    connect_args={"connect_timeout": 5}, future=True,
                )
            except Exception as exc:  # malformed URL, unknown driver
                raise ConfigError(f"database URL {mask_url(url)!r}: {exc}") from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({mask_url(self.url)})"

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        """Fail with a one-line error when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise ServiceUnavailableError(
                f"cannot reach the database {mask_url(self.url)}: {_first_line(exc.orig)}"
            ) from None

    def has_schema(self) -> bool:
        self.check()
        return inspect(self.engine).has_table("task_instance")

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (`chordflow db upgrade`)."""
        from alembic import command
        from alembic.config import Config

        self.check()
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                # Two processes upgrading at once (two schedulers) take turns.
                conn.execute(text("SELECT pg_advisory_xact_lock(72710531)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def ensure_schema(self) -> None:
        """Embedded mode creates its schema itself; a cluster asks for `db upgrade`."""
        if self.has_schema():
            return
        if self.is_sqlite:
            self.upgrade()
            return
        raise ServiceUnavailableError(
            f"the database {mask_url(self.url)} has no chordflow schema: "
            "run `chordflow db upgrade` first"
        )

    def dispose(self) -> None:
        self.engine.dispose()

    def listener(self, channel: str) -> "Listener":
        return Listener(self, channel)


RUNS_CHANNEL = "chordflow_runs"


class Listener:
    """Wakes a waiting scheduler as soon as a run is queued (PostgreSQL LISTEN/NOTIFY).

    On SQLite, or while the connection is down, `wait` simply sleeps.
    """

    def __init__(self, store: Store, channel: str) -> None:
        self.store, self.channel = store, channel
        self._conn = None

    def _connect(self):  # type: ignore[no-untyped-def]
        if self.store.is_sqlite:
            return None
        if self._conn is None or self._conn.closed:
            raw = self.store.engine.raw_connection()
            conn = raw.driver_connection
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"LISTEN {self.channel}")
            self._raw, self._conn = raw, conn
        return self._conn

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when a notification arrived."""
        import select

        try:
            conn = self._connect()
        except Exception:
            conn = None
        if conn is None:
            time.sleep(timeout)
            return False
        try:
            if select.select([conn], [], [], timeout)[0]:
                conn.poll()
                got = bool(conn.notifies)
                conn.notifies.clear()
                return got
        except Exception:
            self.close()
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._raw.invalidate()
            except Exception:
                pass
            self._conn = None


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _first_line(exc: object) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# What an OperationalError says while the database restarts (or SQLite is busy).
_RESTARTING = ("could not connect", "connection already closed", "terminating connection",
               "server closed the connection", "database is locked",
               # starting up, shutting down, in recovery mode, not yet accepting connections
               "the database system is", "Connection refused")


def retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """Retry a store write while the database restarts (connection errors only).

    Writes are guarded transitions, so running one again after a lost answer is safe.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        delay, deadline = 0.1, time.monotonic() + 120
        while True:
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not exc.connection_invalidated and not any(
                        sign in str(exc) for sign in _RESTARTING):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    return wrapper


class Compiled:
    """A hot-path statement that PostgreSQL runs as SQL text compiled once: SQLAlchemy's
    per-call compile-cache lookup and parameter processing were half of a worker's CPU
    time per task. Other databases (SQLite, embedded) run the statement as it is."""

    _POSTCOMPILE = re.compile(r"\(__\[POSTCOMPILE_(\w+)\]\)")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._sql: str | None = None
        self._fixed: dict[str, Any] = {}

    def __call__(self, conn: Any, params: dict[str, Any]) -> Any:
        if conn.dialect.name != "postgresql":
            return conn.execute(self.statement, params)
        if self._sql is None:
            compiled = self.statement.compile(dialect=conn.dialect)
            self._fixed = {name: _adapt(bind.value) for name, bind in compiled.binds.items()
                           if not bind.required}
            self._sql = self._POSTCOMPILE.sub(r"%(\1)s", str(compiled))
        return conn.exec_driver_sql(self._sql, {**self._fixed, **{
            k: _adapt(v) for k, v in params.items()}})


def _adapt(value: Any) -> Any:
    """A list for `IN`: psycopg2 renders a tuple as `(a, b)` (never empty: `('',)`)."""
    if isinstance(value, (list, tuple)):
        return tuple(value) or ("",)
    return value
