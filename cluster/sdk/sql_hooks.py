"""DB-API hooks with Airflow's names: `DbApiHook`, `PostgresHook`, `SqliteHook`."""
from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from itertools import islice
from typing import Any, Callable, Iterable, Sequence

from cluster.sdk.connection import Connection
from cluster.errors import UnsupportedFeatureError
from cluster.sdk.hooks import BaseHook
from cluster.sdk.sql_split import split_sql_string

log = logging.getLogger("cluster.sql")

# Connection extras that configure the hook itself, never passed to psycopg2.connect.
_PG_HOOK_EXTRAS = frozenset({"cursor", "iam", "redshift", "aws_conn_id", "cluster-identifier",
                             "sqlalchemy_scheme", "sqlalchemy_query", "log_sql"})


def fetch_all_handler(cursor: Any) -> list[tuple] | None:
    """All rows of the last statement, or None when it returned no result set."""
    return cursor.fetchall() if cursor.description is not None else None


def fetch_one_handler(cursor: Any) -> tuple | None:
    """The first row of the last statement, or None when it returned no result set."""
    return cursor.fetchone() if cursor.description is not None else None


def return_single_query_results(sql: str | Iterable[str], return_last: bool,
                                split_statements: bool | None) -> bool:
    """Airflow's rule: one result (not a list of them) for a string that is not split apart."""
    return isinstance(sql, str) and (return_last or not split_statements)


class DbApiHook(BaseHook):
    """Airflow's DB-API hook: run SQL, fetch rows, insert rows over a PEP 249 connection.

    Parameters:
      conn_id: the connection (first positional argument, or the keyword `conn_name_attr`).
      schema: overrides the connection's schema (the database for PostgreSQL).
      connection: a Connection to use instead of looking `conn_id` up.
      log_sql: log each statement before running it.
    """

    conn_name_attr = "conn_id"
    default_conn_name = "default_conn_id"
    conn_type = ""
    hook_name = "DB-API"
    placeholder = "%s"
    supports_autocommit = True
    strip_semicolon = False

    def __init__(self, *args: Any, schema: str | None = None, log_sql: bool = True,
                 connection: Connection | None = None, **kwargs: Any) -> None:
        super().__init__()
        if args:
            conn_id = args[0]
        else:
            conn_id = (kwargs.pop(self.conn_name_attr, None) or kwargs.pop("conn_id", None)
                       or self.default_conn_name)
        unknown = sorted(kwargs)
        if unknown:
            raise UnsupportedFeatureError(
                f"{type(self).__name__}: argument(s) not supported: {', '.join(unknown)}")
        setattr(self, self.conn_name_attr, conn_id)
        self.schema = schema
        self.log_sql = log_sql
        self._connection = connection
        self.descriptions: list[Sequence[Sequence] | None] = []

    def get_conn_id(self) -> str:
        return getattr(self, self.conn_name_attr)

    @property
    def connection(self) -> Connection:
        """The Connection this hook uses, looked up once."""
        if self._connection is None:
            self._connection = self.get_connection(self.get_conn_id())
        return self._connection

    @property
    def last_description(self) -> Sequence[Sequence] | None:
        return self.descriptions[-1] if self.descriptions else None

    def get_conn(self) -> Any:
        """A new DB-API connection."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_conn()")

    def get_uri(self) -> str:
        """A SQLAlchemy URI for this connection."""
        return self.connection.get_uri()

    def get_sqlalchemy_engine(self, engine_kwargs: dict[str, Any] | None = None) -> Any:
        """A SQLAlchemy engine for this connection."""
        from sqlalchemy import create_engine

        return create_engine(self.get_uri(), **(engine_kwargs or {}))

    # -- autocommit -------------------------------------------------------------------
    def set_autocommit(self, conn: Any, autocommit: bool) -> None:
        if self.supports_autocommit:
            conn.autocommit = autocommit
        elif autocommit:
            log.warning("%s connection doesn't support autocommit but autocommit activated.",
                        self.get_conn_id())

    def get_autocommit(self, conn: Any) -> bool:
        return bool(getattr(conn, "autocommit", False)) and self.supports_autocommit

    # -- running SQL ------------------------------------------------------------------
    split_sql_string = staticmethod(split_sql_string)

    def get_records(self, sql: str | list[str], parameters: Any = None) -> Any:
        """All rows the query returns."""
        return self.run(sql=sql, parameters=parameters, handler=fetch_all_handler)

    def get_first(self, sql: str | list[str], parameters: Any = None) -> Any:
        """The first row the query returns (None when there is none)."""
        return self.run(sql=sql, parameters=parameters, handler=fetch_one_handler)

    def run(self, sql: str | Iterable[str], autocommit: bool = False, parameters: Any = None,
            handler: Callable[[Any], Any] | None = None, split_statements: bool = False,
            return_last: bool = True) -> Any:
        """Run one statement or several; with a handler, its result per statement (or the last)."""
        if isinstance(sql, str):
            if split_statements:
                statements = self.split_sql_string(sql, strip_semicolon=self.strip_semicolon)
            else:
                statements = [sql] if sql.strip() else []
        else:
            statements = list(sql)
        if not statements:
            raise ValueError("List of SQL statements is empty")
        results: list[Any] = []
        self.descriptions = []
        with closing(self.get_conn()) as conn:
            self.set_autocommit(conn, autocommit)
            with closing(conn.cursor()) as cur:
                for statement in statements:
                    self._run_command(cur, statement, parameters)
                    if handler is not None:
                        results.append(handler(cur))
                    self.descriptions.append(cur.description)
            if not self.get_autocommit(conn):
                conn.commit()
        if handler is None:
            return None
        if return_single_query_results(sql, return_last, split_statements):
            return results[-1]
        return results

    def _run_command(self, cur: Any, statement: str, parameters: Any) -> None:
        if self.log_sql:
            log.info("Running statement: %s, parameters: %s", statement, parameters)
        if parameters:
            cur.execute(statement, parameters)
        else:
            cur.execute(statement)
        if cur.rowcount >= 0:
            log.info("Rows affected: %s", cur.rowcount)

    def insert_rows(self, table: str, rows: Iterable[Sequence[Any]],
                    target_fields: Sequence[str] | None = None, commit_every: int = 1000,
                    replace: bool = False, **kwargs: Any) -> int:
        """Insert `rows` into `table`, committing every `commit_every` rows; returns the count.

        `replace` upserts: REPLACE INTO where the database has it, on PostgreSQL
        `ON CONFLICT (replace_index) DO UPDATE` (give `target_fields` and `replace_index`)."""
        # executemany / fast_executemany change only how Airflow batches; rows always go
        # in batches of `commit_every` here.
        unknown = sorted(set(kwargs) - {"replace_index", "executemany", "fast_executemany"})
        if unknown:
            raise TypeError(f"{type(self).__name__}.insert_rows: argument(s) not supported by "
                            f"chordflow: {', '.join(unknown)}")
        rows = iter(rows)
        total = 0
        with closing(self.get_conn()) as conn:
            self.set_autocommit(conn, False)
            with closing(conn.cursor()) as cur:
                while chunk := [tuple(r) for r in islice(rows, commit_every or 1000)]:
                    cur.executemany(self._insert_statement(
                        table, len(chunk[0]), target_fields, replace,
                        replace_index=kwargs.get("replace_index")), chunk)
                    conn.commit()
                    total += len(chunk)
                    log.info("Loaded %s rows into %s so far", total, table)
        log.info("Done loading. Loaded a total of %s rows into %s", total, table)
        return total

    def _insert_statement(self, table: str, width: int, target_fields: Sequence[str] | None,
                          replace: bool, replace_index: str | Sequence[str] | None = None
                          ) -> str:
        columns = f" ({', '.join(target_fields)})" if target_fields else ""
        values = ", ".join([self.placeholder] * width)
        verb = "REPLACE INTO" if replace else "INSERT INTO"
        return f"{verb} {table}{columns} VALUES ({values})"


class PostgresHook(DbApiHook):
    """PostgreSQL through psycopg2; the connection's extras (sslmode, ...) go to `connect`.

    Parameters:
      postgres_conn_id: the connection (`postgres_default`).
      database: overrides the connection's schema as the database name.
    """

    conn_name_attr = "postgres_conn_id"
    default_conn_name = "postgres_default"
    conn_type = "postgres"
    hook_name = "Postgres"

    def __init__(self, *args: Any, database: str | None = None, **kwargs: Any) -> None:
        options = kwargs.pop("options", None)
        super().__init__(*args, **kwargs)
        self.database = database or self.schema
        self.options = options

    def _insert_statement(self, table: str, width: int, target_fields: Sequence[str] | None,
                          replace: bool, replace_index: str | Sequence[str] | None = None
                          ) -> str:
        """PostgreSQL has no REPLACE INTO: an upsert on the unique `replace_index`."""
        if not replace:
            return super()._insert_statement(table, width, target_fields, False)
        if not target_fields:
            raise ValueError("PostgreSQL ON CONFLICT upsert syntax requires column names "
                             "(target_fields)")
        if not replace_index:
            raise ValueError("PostgreSQL ON CONFLICT upsert syntax requires a unique index "
                             "(replace_index)")
        index = [replace_index] if isinstance(replace_index, str) else list(replace_index)
        values = ", ".join([self.placeholder] * width)
        update = [f"{c} = excluded.{c}" for c in target_fields if c not in index]
        action = f"DO UPDATE SET {', '.join(update)}" if update else "DO NOTHING"
        return (f"INSERT INTO {table} ({', '.join(target_fields)}) VALUES ({values}) "
                f"ON CONFLICT ({', '.join(index)}) {action}")

    def _connect_kwargs(self) -> dict[str, Any]:
        conn = self.connection
        params: dict[str, Any] = {"host": conn.host, "user": conn.login,
                                  "password": conn.password,
                                  "dbname": self.database or conn.schema, "port": conn.port}
        params = {k: v for k, v in params.items() if v not in (None, "")}
        params.update({k: v for k, v in conn.extra_dejson.items() if k not in _PG_HOOK_EXTRAS})
        if self.options:
            params["options"] = self.options
        return params

    def get_conn(self) -> Any:
        import psycopg2
        import psycopg2.extras

        cursors = {"dictcursor": psycopg2.extras.DictCursor,
                   "realdictcursor": psycopg2.extras.RealDictCursor,
                   "namedtuplecursor": psycopg2.extras.NamedTupleCursor}
        params = self._connect_kwargs()
        cursor = str(self.connection.extra_dejson.get("cursor", "")).lower()
        if cursor:
            if cursor not in cursors:
                raise ValueError(f"Invalid cursor passed {cursor}. "
                                 f"Valid options are: {sorted(cursors)}")
            params["cursor_factory"] = cursors[cursor]
        return psycopg2.connect(**params)

    def get_uri(self) -> str:
        from sqlalchemy.engine import URL

        conn = self.connection
        query = {k: str(v) for k, v in conn.extra_dejson.items() if k not in _PG_HOOK_EXTRAS}
        url = URL.create("postgresql", username=conn.login or None,
                         password=conn.password or None, host=conn.host or None,
                         port=conn.port or None, database=self.database or conn.schema or None,
                         query=query)
        return url.render_as_string(hide_password=False)


class SqliteHook(DbApiHook):
    """SQLite through the standard library; the connection's host (or schema) is the file path.

    Parameters:
      sqlite_conn_id: the connection (`sqlite_default`).
    """

    conn_name_attr = "sqlite_conn_id"
    default_conn_name = "sqlite_default"
    conn_type = "sqlite"
    hook_name = "Sqlite"
    placeholder = "?"

    @property
    def database_path(self) -> str:
        conn = self.connection
        path = conn.host or conn.schema or self.schema
        if not path:
            raise ValueError(f"sqlite connection {self.get_conn_id()!r} names no database file "
                             "(set its host to the path)")
        return path

    def get_conn(self) -> sqlite3.Connection:
        return sqlite3.connect(self.database_path)

    def set_autocommit(self, conn: Any, autocommit: bool) -> None:
        conn.isolation_level = None if autocommit else ""

    def get_autocommit(self, conn: Any) -> bool:
        return conn.isolation_level is None

    def get_uri(self) -> str:
        return f"sqlite:///{self.database_path}"


HOOKS: dict[str, type[DbApiHook]] = {"postgres": PostgresHook, "sqlite": SqliteHook}


def hook_for(conn: Connection, **kwargs: Any) -> DbApiHook:
    """The DB-API hook for `conn`, chosen by its `conn_type`."""
    hook_class = HOOKS.get(conn.conn_type or "")
    if hook_class is None:
        raise UnsupportedFeatureError(
            f"connection {conn.conn_id!r} has type {conn.conn_type!r}; chordflow has SQL hooks "
            f"for {', '.join(sorted(HOOKS))} only")
    if conn.conn_id:
        kwargs.setdefault(hook_class.conn_name_attr, conn.conn_id)
    return hook_class(connection=conn, **kwargs)


__all__ = ["DbApiHook", "PostgresHook", "SqliteHook", "fetch_all_handler", "fetch_one_handler",
           "hook_for", "return_single_query_results"]
