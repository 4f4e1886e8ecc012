"""Jinja rendering of operators' `template_fields` with Airflow's context names (pure)."""
from __future__ import annotations

import datetime as dt
import os
from typing import Any, Iterable

import jinja2

from .xcom_arg import XComArg


def environment(searchpath: Iterable[str] = ()) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(searchpath)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        cache_size=0,
    )
    env.filters.update({
        "ds": lambda d: d.strftime("%Y-%m-%d"),
        "ds_nodash": lambda d: d.strftime("%Y%m%d"),
        "ts": lambda d: d.isoformat(),
    })
    return env


def render(value: Any, context: dict[str, Any], env: jinja2.Environment,
           template_ext: Iterable[str] = ()) -> Any:
    """Render every string inside `value`; a string ending in a template extension is a file."""
    if isinstance(value, str):
        if any(value.endswith(ext) for ext in template_ext):
            try:
                return env.get_template(value).render(**context)
            except jinja2.TemplateNotFound:
                pass
        if "{{" not in value and "{%" not in value:
            return value
        return env.from_string(value).render(**context)
    if isinstance(value, XComArg):
        return value
    if isinstance(value, tuple):
        return tuple(render(v, context, env, template_ext) for v in value)
    if isinstance(value, list):
        return [render(v, context, env, template_ext) for v in value]
    if isinstance(value, dict):
        return {k: render(v, context, env, template_ext) for k, v in value.items()}
    return value


def render_fields(operator: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Render the operator's template fields in place; returns what was rendered."""
    searchpath = []
    if operator.dag is not None:
        if operator.dag.fileloc:
            searchpath.append(os.path.dirname(operator.dag.fileloc))
        searchpath.extend(operator.dag.template_searchpath)
    env = environment(searchpath)
    if operator.dag is not None:
        context = {**operator.dag.user_defined_macros, **context}
    rendered = {}
    for field in operator.template_fields:
        value = getattr(operator, field, None)
        new = render(value, context, env, operator.template_ext)
        setattr(operator, field, new)
        rendered[field] = new
    return rendered


def date_context(logical_date: dt.datetime, schedule: Any = None) -> dict[str, Any]:
    """The date names Airflow templates use, from a run's logical date and the schedule."""
    from .schedules import interval_context

    return {
        **interval_context(schedule, logical_date),
        "logical_date": logical_date,
        "execution_date": logical_date,
        "ds": logical_date.strftime("%Y-%m-%d"),
        "ds_nodash": logical_date.strftime("%Y%m%d"),
        "ts": logical_date.isoformat(),
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
    }
