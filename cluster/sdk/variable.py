"""`Variable`: Airflow's key/value store for DAG code (`Variable.get`, `Variable.set`)."""
from __future__ import annotations

import json
from typing import Any

from cluster.sdk import secrets

_NOTSET: Any = object()


class Variable:
    """Airflow's Variable API; values come from the environment, then the metastore.

    `Variable.get(key, default_var=..., deserialize_json=...)` raises KeyError for an
    undefined key without a default, as Airflow does. (`airflow.sdk`'s spelling
    `default=` is accepted too.)
    """

    def __init__(self, key: str | None = None, val: Any = None,
                 description: str | None = None) -> None:
        self.key, self.val, self.description = key, val, description

    def __repr__(self) -> str:
        return f"<Variable {self.key}>"

    @classmethod
    def get(cls, key: str, default_var: Any = _NOTSET, deserialize_json: bool = False,
            default: Any = _NOTSET) -> Any:
        if default_var is _NOTSET:
            default_var = default
        value = secrets.get_variable(key)
        if value is None:
            if default_var is _NOTSET:
                raise KeyError(f"Variable {key} does not exist")
            return default_var
        return json.loads(value) if deserialize_json else value

    @classmethod
    def set(cls, key: str, value: Any, description: str | None = None,
            serialize_json: bool = False) -> None:
        text = json.dumps(value, indent=2) if serialize_json else str(value)
        secrets.backend().set_variable(key, text, description)

    @classmethod
    def update(cls, key: str, value: Any, serialize_json: bool = False) -> None:
        if secrets.get_variable(key) is None:
            raise KeyError(f"Variable {key} does not exist")
        cls.set(key, value, serialize_json=serialize_json)

    @classmethod
    def delete(cls, key: str) -> int:
        return int(secrets.backend().delete_variable(key))

    @classmethod
    def setdefault(cls, key: str, default: Any, description: str | None = None,
                   deserialize_json: bool = False) -> Any:
        value = cls.get(key, default_var=None, deserialize_json=deserialize_json)
        if value is None:
            cls.set(key, default, description, serialize_json=deserialize_json)
            return default
        return value


__all__ = ["Variable"]
