"""SQL operators with Airflow's names: `SQLExecuteQueryOperator`, its Postgres/SQLite aliases, checks."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import logging
import uuid
from typing import Any, Callable, Sequence

from cluster.errors import AirflowException
from cluster.sdk.hooks import BaseHook
from cluster.sdk.sql_hooks import (DbApiHook, fetch_all_handler, fetch_one_handler,
                         return_single_query_results)
from cluster.sdk.operators.base import BaseOperator

log = logging.getLogger("cluster.sql")


def to_jsonable(value: Any) -> Any:
    """Rows as lists, Decimals as floats, dates and times as ISO text, so XCom's JSON holds them."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "__iter__"):
        return [to_jsonable(v) for v in value]
    return str(value)


class BaseSQLOperator(BaseOperator):
    """What SQL operators share: the connection id and the hook it gives.

    Parameters:
      conn_id: the connection (its type picks the hook: postgres or sqlite).
      database: overrides the connection's schema (the database name).
      hook_params: extra keyword arguments for the hook.
    """

    def __init__(self, *, conn_id: str | None = None, database: str | None = None,
                 hook_params: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.database = database
        self.hook_params = dict(hook_params or {})

    def get_db_hook(self) -> DbApiHook:
        """The DB-API hook for `conn_id` (with `database` as its schema when given)."""
        if not self.conn_id:
            raise AirflowException(f"task {self.task_id!r}: no conn_id given")
        params = dict(self.hook_params)
        if self.database:
            params.setdefault("schema", self.database)
        hook = BaseHook.get_hook(self.conn_id, hook_params=params)
        if not isinstance(hook, DbApiHook):
            raise AirflowException(f"connection {self.conn_id!r} does not give a DB-API hook")
        return hook


class SQLExecuteQueryOperator(BaseSQLOperator):
    """Runs SQL on a connection; with `do_xcom_push` the handler's rows become its XCom.

    Parameters:
      sql: a statement, a list of them, or a `.sql` template file (templated).
      parameters: bind values for the statements (templated).
      autocommit: run without a transaction.
      handler: what to read from the cursor after each statement (`fetch_all_handler`).
      split_statements: split a string of several statements at `;`.
      return_last: for a string, return only the last statement's result.
      show_return_value_in_logs: log the result.
    """

    template_fields: Sequence[str] = ("sql", "parameters", "conn_id", "database", "hook_params")
    template_ext: Sequence[str] = (".sql", ".json")
    template_fields_renderers = {"sql": "sql", "parameters": "json"}
    ui_color = "#cdaaed"

    def __init__(self, *, sql: str | list[str], autocommit: bool = False,
                 parameters: Any = None, handler: Callable[[Any], Any] = fetch_all_handler,
                 output_processor: Callable[[list[Any], list[Any]], Any] | None = None,
                 conn_id: str | None = None, database: str | None = None,
                 split_statements: bool | None = None, return_last: bool = True,
                 show_return_value_in_logs: bool = False,
                 hook_params: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(conn_id=conn_id, database=database, hook_params=hook_params, **kwargs)
        self.sql = sql
        self.autocommit = autocommit
        self.parameters = parameters
        self.handler = handler
        self.output_processor = output_processor
        self.split_statements = split_statements
        self.return_last = return_last
        self.show_return_value_in_logs = show_return_value_in_logs

    def _process_output(self, results: list[Any], descriptions: list[Any]) -> list[Any]:
        if self.output_processor is not None:
            return self.output_processor(results, descriptions)
        return results

    def execute(self, context: dict[str, Any]) -> Any:
        hook = self.get_db_hook()
        extra = {} if self.split_statements is None else {"split_statements": self.split_statements}
        output = hook.run(sql=self.sql, autocommit=self.autocommit, parameters=self.parameters,
                          handler=self.handler if self.do_xcom_push else None,
                          return_last=self.return_last, **extra)
        if not self.do_xcom_push:
            return None
        if return_single_query_results(self.sql, self.return_last, self.split_statements):
            result = self._process_output([output], hook.descriptions[-1:])[-1]
        else:
            result = self._process_output(output, hook.descriptions)
        result = to_jsonable(result)
        if self.show_return_value_in_logs:
            log.info("result: %s", result)
        return result


class PostgresOperator(SQLExecuteQueryOperator):
    """Airflow's PostgresOperator: `SQLExecuteQueryOperator` with `postgres_conn_id`.

    Parameters:
      postgres_conn_id: the connection (`postgres_default`).
      runtime_parameters: session settings, passed as `-c name=value` options.
    """

    def __init__(self, *, postgres_conn_id: str = "postgres_default",
                 runtime_parameters: dict[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("conn_id", postgres_conn_id)
        if runtime_parameters:
            hook_params = dict(kwargs.pop("hook_params", None) or {})
            hook_params["options"] = " ".join(
                f"-c {k}={v}" for k, v in runtime_parameters.items())
            kwargs["hook_params"] = hook_params
        super().__init__(**kwargs)
        self.postgres_conn_id = postgres_conn_id
        self.runtime_parameters = runtime_parameters


class SqliteOperator(SQLExecuteQueryOperator):
    """Airflow's SqliteOperator: `SQLExecuteQueryOperator` with `sqlite_conn_id`.

    Parameters:
      sqlite_conn_id: the connection (`sqlite_default`).
    """

    def __init__(self, *, sqlite_conn_id: str = "sqlite_default", **kwargs: Any) -> None:
        kwargs.setdefault("conn_id", sqlite_conn_id)
        super().__init__(**kwargs)
        self.sqlite_conn_id = sqlite_conn_id


class SQLCheckOperator(BaseSQLOperator):
    """Fails unless every value of the query's first row is truthy.

    Parameters:
      sql: the check query (templated).
      parameters: bind values (templated).
    """

    template_fields: Sequence[str] = ("sql", "parameters", "conn_id", "database", "hook_params")
    template_ext: Sequence[str] = (".hql", ".sql")
    ui_color = "#fff7e6"

    def __init__(self, *, sql: str, parameters: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sql = sql
        self.parameters = parameters

    def execute(self, context: dict[str, Any]) -> None:
        records = self.get_db_hook().get_first(self.sql, self.parameters)
        log.info("Record: %s", records)
        if not records:
            raise AirflowException(f"The following query returned zero rows: {self.sql}")
        if not all(records):
            raise AirflowException(f"Test failed.\nQuery:\n{self.sql}\nResults:\n{records!s}")
        log.info("Success.")


class SQLValueCheckOperator(BaseSQLOperator):
    """Fails unless the query's first row equals `pass_value` (within `tolerance` for numbers).

    Parameters:
      sql: the query (templated).
      pass_value: the expected value (templated).
      tolerance: allowed relative difference for numeric values, e.g. 0.1 for 10%.
    """

    template_fields: Sequence[str] = ("sql", "pass_value", "conn_id", "database", "hook_params")
    template_ext: Sequence[str] = (".hql", ".sql")
    ui_color = "#fff7e6"

    def __init__(self, *, sql: str, pass_value: Any, tolerance: Any = None,
                 parameters: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sql = sql
        self.pass_value = str(pass_value)
        self.tolerance = float(tolerance) if tolerance is not None else None
        self.parameters = parameters

    def _matches(self, record: Any) -> bool:
        try:
            expected = float(self.pass_value)
            got = float(record)
        except (TypeError, ValueError):
            return str(record) == self.pass_value
        if self.tolerance is None:
            return got == expected
        return expected * (1 - self.tolerance) <= got <= expected * (1 + self.tolerance)

    def execute(self, context: dict[str, Any]) -> None:
        records = self.get_db_hook().get_first(self.sql, self.parameters)
        if not records:
            raise AirflowException(f"The following query returned zero rows: {self.sql}")
        if not all(self._matches(r) for r in records):
            tol = f" with tolerance {self.tolerance:.1%}" if self.tolerance is not None else ""
            raise AirflowException(
                f"Test failed.\nPass value:{self.pass_value}{tol}\nQuery:\n{self.sql}\n"
                f"Results:\n{records!s}")


__all__ = ["SQLExecuteQueryOperator", "PostgresOperator", "SqliteOperator", "SQLCheckOperator",
           "SQLValueCheckOperator", "BaseSQLOperator", "fetch_all_handler", "fetch_one_handler"]
