"""DB-API hooks and the SQL operator against a real SQLite file."""
import datetime as dt
import json
from decimal import Decimal
from urllib.parse import quote

import pytest

from cluster.sdk.connection import Connection
from cluster.errors import AirflowException, UnsupportedFeatureError
from cluster.sdk.operators.sql import (SQLCheckOperator, SQLExecuteQueryOperator, SqliteOperator,
                                   SQLValueCheckOperator, fetch_one_handler, to_jsonable)
from cluster.sdk.sql_hooks import DbApiHook, PostgresHook, SqliteHook, hook_for
from cluster.sdk.sql_split import split_sql_string


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = str(tmp_path / "unit.db")
    monkeypatch.setenv("AIRFLOW_CONN_UNIT_SQLITE", "sqlite://" + quote(path, safe=""))
    return path


@pytest.fixture
def hook(db_path):
    return SqliteHook(sqlite_conn_id="unit_sqlite")


def test_run_get_records_get_first_and_insert_rows(hook, db_path):
    assert hook.run("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)") is None
    assert hook.insert_rows("t", [(1, "a;b", 1.5), (2, "it's", 2.0), (3, "c", None)],
                            target_fields=["id", "name", "score"], commit_every=2) == 3
    assert hook.get_records("SELECT id, name FROM t ORDER BY id") == [
        (1, "a;b"), (2, "it's"), (3, "c")]
    assert hook.get_first("SELECT name FROM t WHERE id = ?", parameters=(2,)) == ("it's",)
    assert hook.get_first("SELECT name FROM t WHERE id = :id", parameters={"id": 9}) is None
    # committed: a second, independent connection sees the rows
    assert Connection("x", conn_type="sqlite", host=db_path).get_hook().get_records(
        "SELECT count(*) FROM t") == [(3,)]
    assert hook.get_uri() == f"sqlite:///{db_path}"
    with hook.get_sqlalchemy_engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 3


def test_split_statements_keep_semicolons_inside_strings_and_skip_comments(hook):
    script = """
        CREATE TABLE s (v TEXT); -- a comment; with a semicolon
        INSERT INTO s VALUES ('x;y'), ("q;""z"), ('it''s; fine');
        /* block; comment */ INSERT INTO s VALUES ('last');
        SELECT v FROM s ORDER BY rowid;
    """
    assert hook.split_sql_string(script) == [
        "CREATE TABLE s (v TEXT);",
        "INSERT INTO s VALUES ('x;y'), (\"q;\"\"z\"), ('it''s; fine');",
        "INSERT INTO s VALUES ('last');",
        "SELECT v FROM s ORDER BY rowid;",
    ]
    rows = [("x;y",), ('q;"z',), ("it's; fine",), ("last",)]
    assert hook.run(script, split_statements=True, handler=lambda c: c.fetchall()) == rows
    # return_last=False: one result per statement (None for those without a result set)
    results = SqliteHook(sqlite_conn_id="unit_sqlite").run(
        "SELECT 1; SELECT 'a;b'", split_statements=True, return_last=False,
        handler=lambda c: c.fetchall())
    assert results == [[(1,)], [("a;b",)]]
    with pytest.raises(ValueError, match="empty"):
        hook.run("  -- only a comment", split_statements=True)


def test_split_sql_string_postgres_dollar_quotes_and_placeholders():
    body = "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END; $fn$ LANGUAGE plpgsql"
    assert split_sql_string(f"{body}; SELECT $1, $$a;b$$") == [f"{body};", "SELECT $1, $$a;b$$"]
    assert split_sql_string("SELECT 1;;SELECT 2", strip_semicolon=True) == ["SELECT 1", "SELECT 2"]


def test_autocommit_and_rollback_on_error(hook):
    hook.run("CREATE TABLE a (v INTEGER UNIQUE)")
    with pytest.raises(Exception, match="UNIQUE"):
        hook.run(["INSERT INTO a VALUES (1)", "INSERT INTO a VALUES (1)"])
    assert hook.get_records("SELECT count(*) FROM a") == [(0,)]  # not committed
    with pytest.raises(Exception, match="UNIQUE"):
        hook.run(["INSERT INTO a VALUES (1)", "INSERT INTO a VALUES (1)"], autocommit=True)
    assert hook.get_records("SELECT count(*) FROM a") == [(1,)]


def test_operator_execute_returns_json_rows(db_path):
    create = SqliteOperator(task_id="create", sqlite_conn_id="unit_sqlite", sql=[
        "CREATE TABLE p (id INTEGER, label TEXT)",
        "INSERT INTO p VALUES (1, 'one'), (2, 'two;2')"])
    assert create.execute({}) == [None, None]
    select = SQLExecuteQueryOperator(task_id="select", conn_id="unit_sqlite",
                                     sql="SELECT id, label FROM p WHERE id >= ? ORDER BY id",
                                     parameters=[1])
    result = select.execute({})
    assert result == [[1, "one"], [2, "two;2"]] and json.loads(json.dumps(result)) == result
    one = SQLExecuteQueryOperator(task_id="one", conn_id="unit_sqlite", handler=fetch_one_handler,
                                  sql="INSERT INTO p VALUES (3, 'x'); SELECT max(id) FROM p",
                                  split_statements=True)
    assert one.execute({}) == [3]
    silent = SQLExecuteQueryOperator(task_id="silent", conn_id="unit_sqlite", do_xcom_push=False,
                                     sql="SELECT * FROM p")
    assert silent.execute({}) is None
    assert SQLExecuteQueryOperator.template_fields == (
        "sql", "parameters", "conn_id", "database", "hook_params")
    assert SQLExecuteQueryOperator.template_ext == (".sql", ".json")


def test_check_operators(db_path):
    SQLCheckOperator(task_id="ok", conn_id="unit_sqlite", sql="SELECT 1, 'x'").execute({})
    with pytest.raises(AirflowException, match="Test failed"):
        SQLCheckOperator(task_id="bad", conn_id="unit_sqlite", sql="SELECT 1, 0").execute({})
    SQLValueCheckOperator(task_id="v", conn_id="unit_sqlite", sql="SELECT 95",
                          pass_value=100, tolerance=0.1).execute({})
    with pytest.raises(AirflowException, match="Pass value:100"):
        SQLValueCheckOperator(task_id="w", conn_id="unit_sqlite", sql="SELECT 80",
                              pass_value=100, tolerance=0.1).execute({})


def test_values_become_json():
    row = (Decimal("1.50"), dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 1, 2, 3), b"hi", None)
    assert to_jsonable([row]) == [[1.5, "2024-03-05", "2024-03-05T01:02:03", "hi", None]]


def test_hook_for_picks_by_type_and_names_unsupported_ones(tmp_path):
    pg = Connection("pg", uri="postgresql://u:p%40w@db.example:6543/app?sslmode=require")
    hook = pg.get_hook()
    assert isinstance(hook, PostgresHook) and hook.postgres_conn_id == "pg"
    assert hook._connect_kwargs() == {"host": "db.example", "user": "u", "password": "p@w",
                                      "dbname": "app", "port": 6543, "sslmode": "require"}
    assert hook.get_uri() == "postgresql://u:p%40w@db.example:6543/app?sslmode=require"
    assert hook_for(pg, schema="other")._connect_kwargs()["dbname"] == "other"
    assert isinstance(Connection("s", conn_type="sqlite", schema="x.db").get_hook(), SqliteHook)
    assert issubclass(SqliteHook, DbApiHook) and SqliteHook().sqlite_conn_id == "sqlite_default"
    with pytest.raises(UnsupportedFeatureError, match="'http'.*postgres, sqlite"):
        Connection("web", conn_type="http", host="example.com").get_hook()


def test_airflow_import_paths_resolve():
    from cluster.compat.namespace import airflow_names

    with airflow_names():
        from airflow.providers.common.sql.hooks.sql import DbApiHook as AirflowDbApiHook
        from airflow.providers.common.sql.operators.sql import (
            SQLExecuteQueryOperator as AirflowSQLOperator, fetch_all_handler)
        from airflow.providers.postgres.hooks.postgres import PostgresHook as AirflowPostgresHook
        from airflow.providers.postgres.operators.postgres import PostgresOperator
        from airflow.providers.sqlite.hooks.sqlite import SqliteHook as AirflowSqliteHook
        from airflow.providers.sqlite.operators.sqlite import SqliteOperator as AirflowSqliteOp
    assert AirflowDbApiHook is DbApiHook and AirflowSQLOperator is SQLExecuteQueryOperator
    assert AirflowPostgresHook is PostgresHook and AirflowSqliteHook is SqliteHook
    assert AirflowSqliteOp is SqliteOperator and callable(fetch_all_handler)
    assert PostgresOperator(task_id="p", sql="SELECT 1", runtime_parameters={
        "statement_timeout": "3000ms"}).hook_params == {"options": "-c statement_timeout=3000ms"}
