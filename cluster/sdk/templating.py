"""Jinja rendering of operators' `template_fields` with Airflow's context names (pure).

Besides the dates, a context offers `macros`, `var.value.X` / `var.json.X` and
`conn.X.host`; the last two look values up when a template uses them (the environment
first, then the active secrets backend: see cluster/sdk/secrets.py).
"""
from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING, Any, Callable, Iterable

from cluster.sdk.xcom_arg import XComArg
from cluster.errors import AirflowNotFoundException
from cluster.datetimes import pendulum_values
from cluster.timezones import UTC, to_utc

if TYPE_CHECKING:
    import jinja2


def environment(searchpath: Iterable[str] = (), filters: dict[str, Any] | None = None,
                native: bool = False) -> "jinja2.Environment":
    # Imported here: a task container whose fields hold no template never pays for Jinja
    # (about a third of its start-up imports).
    import jinja2
    import jinja2.nativetypes

    cls = jinja2.nativetypes.NativeEnvironment if native else jinja2.Environment
    env = cls(
        loader=jinja2.FileSystemLoader(list(searchpath)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        cache_size=0,
    )
    env.filters.update({
        "ds": lambda d: d.strftime("%Y-%m-%d"),
        "ds_nodash": lambda d: d.strftime("%Y%m%d"),
        "ts": lambda d: d.isoformat(),
        "ts_nodash": lambda d: d.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": lambda d: d.isoformat().replace("-", "").replace(":", ""),
    })
    env.filters.update(filters or {})
    return env


def render(value: Any, context: dict[str, Any], env: "jinja2.Environment | Callable[[], Any]",
           template_ext: Iterable[str] = ()) -> Any:
    """Render every string inside `value`; a string ending in a template extension is a file.

    `env` may be a function that makes the environment, called only if one is needed."""
    if isinstance(value, str):
        if any(value.endswith(ext) for ext in template_ext):
            import jinja2

            try:
                return _env(env).get_template(value).render(**context)
            except jinja2.TemplateNotFound:
                pass
        if "{{" not in value and "{%" not in value:
            return value
        return _env(env).from_string(value).render(**context)
    if isinstance(value, XComArg):  # Airflow resolves an XComArg in a template field
        return value.resolve(context)
    if isinstance(value, tuple):
        return tuple(render(v, context, env, template_ext) for v in value)
    if isinstance(value, list):
        return [render(v, context, env, template_ext) for v in value]
    if isinstance(value, dict):
        return {k: render(v, context, env, template_ext) for k, v in value.items()}
    return value


def _env(env: Any) -> Any:
    return env() if callable(env) and not hasattr(env, "from_string") else env


def searchpath_of(dag: Any) -> list[str]:
    """Where template files are looked up: beside the DAG file, then `template_searchpath`."""
    searchpath = []
    if dag is not None:
        if dag.fileloc:
            searchpath.append(os.path.dirname(dag.fileloc))
        searchpath.extend(dag.template_searchpath)
    return searchpath


def render_fields(operator: Any, context: dict[str, Any], dag: Any = None,
                  jinja_env: Any = None) -> dict[str, Any]:
    """Render the template fields of an operator (or of any object with `template_fields`,
    a notifier, given the `dag` of its context) in place; returns what was rendered."""
    dag = dag if dag is not None else getattr(operator, "dag", None)
    made: list[Any] = [jinja_env] if jinja_env is not None else []

    def env() -> Any:
        if not made:
            made.append(environment(searchpath_of(dag), getattr(dag, "user_defined_filters", None),
                                    getattr(dag, "render_template_as_native_obj", False)))
        return made[0]

    if dag is not None:
        context = {**getattr(dag, "user_defined_macros", {}), **context}
    rendered = {}
    for field in operator.template_fields:
        value = getattr(operator, field, None)
        new = render(value, context, env, operator.template_ext)
        setattr(operator, field, new)
        rendered[field] = new
    return rendered


def date_context(logical_date: dt.datetime, schedule: Any = None,
                 data_interval: tuple[dt.datetime, dt.datetime] | None = None) -> dict[str, Any]:
    """The date names Airflow templates use, from a run's logical date and the DAG's
    timetable (or schedule); every date is UTC, as Airflow gives them.

    `data_interval` is the one stored with the run; without it (a triggered run) the
    timetable says it."""
    from cluster.sdk.dag_schedule import interval_of
    from cluster.sdk.timetables import Timetable
    from cluster.sdk.timetables.codec import from_schedule
    from cluster.sdk.timetables.interval import _DataIntervalTimetable

    timetable = schedule if isinstance(schedule, Timetable) else from_schedule(schedule, UTC)
    logical_date = to_utc(logical_date)
    start, end = (to_utc(d) for d in (data_interval or interval_of(timetable, logical_date)))
    steps = getattr(timetable, "_steps", None)
    nxt = steps.next(logical_date) if steps is not None else None
    prev = steps.prev(logical_date) if isinstance(timetable, _DataIntervalTimetable) else None
    return {
        "data_interval_start": start, "data_interval_end": end,
        "next_ds": nxt.strftime("%Y-%m-%d") if nxt else None,
        "next_ds_nodash": nxt.strftime("%Y%m%d") if nxt else None,
        "prev_ds": prev.strftime("%Y-%m-%d") if prev else None,
        "prev_ds_nodash": prev.strftime("%Y%m%d") if prev else None,
        "next_execution_date": nxt, "prev_execution_date": prev,
        "logical_date": logical_date,
        "execution_date": logical_date,
        "ds": logical_date.strftime("%Y-%m-%d"),
        "ds_nodash": logical_date.strftime("%Y%m%d"),
        "ts": logical_date.isoformat(),
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": logical_date.isoformat().replace("-", "").replace(":", ""),
    }


def template_context(logical_date: dt.datetime, schedule: Any = None,
                     data_interval: tuple[dt.datetime, dt.datetime] | None = None
                     ) -> dict[str, Any]:
    """The run-independent part of every task's context: dates, `macros`, `var`, `conn`."""
    from cluster.sdk import macros

    return {**pendulum_values(date_context(logical_date, schedule, data_interval)),
            "macros": macros,
            "var": VariableAccessor(), "conn": ConnectionAccessor()}


class _VariableValues:
    """`var.value.X` (text) or `var.json.X` (parsed JSON)."""

    def __init__(self, deserialize_json: bool) -> None:
        self._json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.get(key)

    def get(self, key: str, default: Any = KeyError) -> Any:
        from cluster.sdk.secrets import get_variable

        value = get_variable(key)
        if value is None:
            if default is KeyError:
                raise KeyError(f"Variable {key} does not exist")
            return default
        return json.loads(value) if self._json else value

    def __repr__(self) -> str:
        return f"<var.{'json' if self._json else 'value'}>"


class VariableAccessor:
    """What templates see as `var`."""

    value = _VariableValues(False)
    json = _VariableValues(True)


class ConnectionAccessor:
    """What templates see as `conn`: `conn.my_db.host`, `conn.get('my_db')`."""

    def __getattr__(self, conn_id: str) -> Any:
        if conn_id.startswith("__"):
            raise AttributeError(conn_id)
        return self.get(conn_id)

    def get(self, conn_id: str, default_conn: Any = None) -> Any:
        from cluster.sdk.secrets import get_connection

        try:
            return get_connection(conn_id)
        except AirflowNotFoundException:
            if default_conn is not None:
                return default_conn
            raise
