"""Airflow's `Param`: a run parameter with a default and a JSON-schema for its value.

A DAG's `params={"x": Param(5, type="integer", minimum=0)}` gives templates and tasks
the default; a run's conf overrides it, and a triggered run whose conf does not fit the
schema is refused. The schema travels in the serialized DAG (`params_schema`), so the
check needs no DAG import. `jsonschema` is used when installed; otherwise the common
keywords are checked here (type, enum, const, minimum, maximum, exclusiveMinimum,
exclusiveMaximum, minLength, maxLength, pattern, format date / date-time / time,
minItems, maxItems, required).
"""
from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any, Iterator, Mapping, MutableMapping

from cluster.errors import DagDefinitionError, InvalidInputError
from cluster.json_values import json_safe

NOTSET: Any = type("ArgNotSet", (), {"__repr__": lambda self: "NOTSET"})()


class ParamValidationError(InvalidInputError, ValueError):
    """A value does not fit its Param's schema (Airflow's `ParamValidationError`)."""


class Param:
    """A run parameter: a default value plus JSON-schema keywords its value must meet.

    Parameters:
      default: the value when a run's conf does not give one (none: the run must).
      description: shown to people who trigger the DAG.
      **schema: JSON-schema keywords, e.g. `type="integer"`, `minimum=0`, `enum=[...]`.
    """

    def __init__(self, default: Any = NOTSET, description: str | None = None,
                 **schema: Any) -> None:
        self.value = default
        self.description = description
        self.schema = dict(schema)
        if description is not None:
            self.schema.setdefault("description", description)

    def __repr__(self) -> str:
        return f"Param({self.value!r}, {self.schema!r})"

    def has_value(self) -> bool:
        return self.value is not NOTSET

    def resolve(self, value: Any = NOTSET, suppress_exception: bool = False) -> Any:
        """`value` (else the default) checked against the schema."""
        final = self.value if value is NOTSET else value
        try:
            if final is NOTSET:
                raise ParamValidationError("no value given and the param has no default")
            check(final, self.schema)
        except ParamValidationError:
            if suppress_exception:
                return None
            raise
        return final

    def dump(self) -> dict[str, Any]:
        """The JSON form kept in the serialized DAG (no `default` key: none given)."""
        out: dict[str, Any] = {"schema": json_safe(self.schema)}
        if self.has_value():
            out["default"] = json_safe(self.value)
        return out


class ParamsDict(MutableMapping[str, Any]):
    """Airflow's mapping of names to Params: `[name]` gives the value, `get_param` the Param.

    Parameters:
      dict_obj: names to Params or plain values.
      suppress_exception: `validate()` leaves values that do not fit instead of raising.
    """

    def __init__(self, dict_obj: Mapping[str, Any] | None = None,
                 suppress_exception: bool = False) -> None:
        self._params: dict[str, Param] = {}
        self.suppress_exception = suppress_exception
        for name, value in (dict_obj or {}).items():
            self[name] = value

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, Param):
            self._params[name] = value
        elif name in self._params:
            self._params[name].value = value
        else:
            self._params[name] = Param(value)

    def __getitem__(self, name: str) -> Any:
        return self._params[name].value

    def __delitem__(self, name: str) -> None:
        del self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        return f"ParamsDict({self._params!r})"

    def get_param(self, name: str) -> Param:
        return self._params[name]

    def dump(self) -> dict[str, Any]:
        return {name: param.value for name, param in self._params.items()}

    def validate(self) -> dict[str, Any]:
        """Every value resolved against its schema; an error names the param."""
        return {name: _named(name, param.resolve, suppress=self.suppress_exception)
                for name, param in self._params.items()}


def raw(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A DAG's or task's params as given: names to Params or plain values."""
    if isinstance(params, ParamsDict):
        return {name: copy.copy(params.get_param(name)) for name in params}
    return dict(params or {})


def values(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params resolved to their defaults (a Param without one gives None)."""
    return {name: (v.value if v.has_value() else None) if isinstance(v, Param) else v
            for name, v in params.items()}


def check_defaults(owner: str, params: Mapping[str, Any]) -> None:
    """At DAG definition: a Param's default must fit its own schema."""
    for name, value in params.items():
        if isinstance(value, Param) and value.has_value():
            try:
                _named(name, value.resolve)
            except ParamValidationError as exc:
                raise DagDefinitionError(f"{owner}: default of {exc}") from None


def schemas(params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The Params among `params`, in their JSON form, for the serialized DAG."""
    return {name: v.dump() for name, v in params.items() if isinstance(v, Param)}


def check_conf(dumped: Mapping[str, dict[str, Any]], conf: Mapping[str, Any],
               dag_id: str | None = None) -> None:
    """Refuse a run whose conf (over the defaults) does not fit the DAG's Param schemas."""
    for name, spec in dumped.items():
        given = conf[name] if name in conf else spec.get("default", NOTSET)
        try:
            _named(name, Param(**{"default": NOTSET, **spec["schema"]}).resolve, given)
        except ParamValidationError as exc:
            if dag_id is None:
                raise
            raise ParamValidationError(f"run of {dag_id!r} refused: {exc}") from None


def _named(name: str, resolve: Any, value: Any = NOTSET, suppress: bool = False) -> Any:
    try:
        return resolve(value, suppress_exception=suppress)
    except ParamValidationError as exc:
        raise ParamValidationError(f"param {name!r}: {exc}") from None


def check(value: Any, schema: Mapping[str, Any]) -> None:
    """Raise ParamValidationError (one line) if `value` does not fit `schema`."""
    try:
        import jsonschema
    except ImportError:
        _check(value, schema)
        return
    checker = jsonschema.FormatChecker()
    for fmt, parse in _FORMATS.items():
        checker.checks(fmt, raises=ValueError)(lambda v, parse=parse: not isinstance(v, str)
                                               or parse(v) is not None)
    try:
        jsonschema.validate(value, dict(schema), format_checker=checker)
    except jsonschema.ValidationError as exc:
        raise ParamValidationError(exc.message) from None
    except jsonschema.SchemaError as exc:
        raise ParamValidationError(f"invalid schema: {exc.message}") from None


_TYPES: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, (list, tuple)),
    "object": lambda v: isinstance(v, dict),
}
_FORMATS: dict[str, Any] = {
    "date": dt.date.fromisoformat,
    "date-time": lambda v: dt.datetime.fromisoformat(v.replace("Z", "+00:00")),
    "time": dt.time.fromisoformat,
}


def _check(value: Any, schema: Mapping[str, Any]) -> None:
    """The common JSON-schema keywords, for when `jsonschema` is not installed."""
    types = schema.get("type")
    if types is not None:
        wanted = [types] if isinstance(types, str) else list(types)
        if not any(_TYPES[t](value) for t in wanted if t in _TYPES):
            raise ParamValidationError(f"{value!r} is not of type {' or '.join(map(repr, wanted))}")
    if "enum" in schema and value not in schema["enum"]:
        raise ParamValidationError(f"{value!r} is not one of {list(schema['enum'])!r}")
    if "const" in schema and value != schema["const"]:
        raise ParamValidationError(f"{schema['const']!r} was expected")
    if _TYPES["number"](value):
        for key, fails, words in (
                ("minimum", lambda b: value < b, "less than the minimum of"),
                ("maximum", lambda b: value > b, "greater than the maximum of"),
                ("exclusiveMinimum", lambda b: value <= b, "less than or equal to"),
                ("exclusiveMaximum", lambda b: value >= b, "greater than or equal to")):
            if key in schema and fails(schema[key]):
                raise ParamValidationError(f"{value!r} is {words} {schema[key]!r}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ParamValidationError(f"{value!r} is shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ParamValidationError(f"{value!r} is longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise ParamValidationError(f"{value!r} does not match {schema['pattern']!r}")
        parse = _FORMATS.get(schema.get("format", ""))
        if parse is not None:
            try:
                parse(value)
            except ValueError:
                raise ParamValidationError(f"{value!r} is not a {schema['format']!r}") from None
    if isinstance(value, (list, tuple)):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise ParamValidationError(f"{list(value)!r} has fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise ParamValidationError(f"{list(value)!r} has more than {schema['maxItems']} items")
    if isinstance(value, dict):
        missing = [k for k in schema.get("required", ()) if k not in value]
        if missing:
            raise ParamValidationError(f"{missing[0]!r} is a required property")


__all__ = ["Param", "ParamsDict", "ParamValidationError"]
