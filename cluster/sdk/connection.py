"""`Connection`: how to reach an external system, with Airflow's fields and URI form."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from cluster.errors import AirflowException, InvalidInputError

EXTRA_KEY = "__extra__"


class Connection:
    """Airflow's Connection: `host, login, password, schema, port, extra`, `get_uri()`.

    Parameters:
      conn_id: the id tasks ask for.
      conn_type: e.g. `postgres`, `sqlite`, `http`.
      uri: an Airflow connection URI; its parts fill the fields.
      extra: a JSON object as text (or a dict), read back with `extra_dejson`.
    """

    def __init__(self, conn_id: str | None = None, conn_type: str | None = None,
                 description: str | None = None, host: str | None = None,
                 login: str | None = None, password: str | None = None,
                 schema: str | None = None, port: int | None = None,
                 extra: str | dict[str, Any] | None = None, uri: str | None = None) -> None:
        self.conn_id, self.description = conn_id, description
        if uri and (conn_type or host or login or password or schema or port or extra):
            raise InvalidInputError("give either a connection URI or its parts, not both")
        self.conn_type, self.host, self.login, self.password = conn_type, host, login, password
        self.schema, self.port = schema, port
        self.extra = json.dumps(extra) if isinstance(extra, dict) else extra
        if uri:
            self._parse_from_uri(uri)
        if self.port is not None:
            self.port = int(self.port)

    def __repr__(self) -> str:
        return f"<Connection {self.conn_id}: {self.conn_type}>"

    # -- Airflow's URI form ------------------------------------------------------------
    def _parse_from_uri(self, uri: str) -> None:
        if uri.count("://") > 2 or "://" not in uri:
            raise InvalidInputError(f"invalid connection URI {_redacted(uri)!r}: expected "
                                    "TYPE://[LOGIN[:PASSWORD]@]HOST[:PORT][/SCHEMA][?EXTRA]")
        with_protocol = uri.count("://") == 2
        scheme = urlsplit(uri).scheme
        self.conn_type = normalize_conn_type(scheme)
        rest = uri.replace(f"{scheme}://", "" if with_protocol else "//", 1)
        protocol = None
        if with_protocol:
            protocol, _, _after = rest.partition("://")
            if "@" in protocol or ":" in protocol:
                raise InvalidInputError(f"invalid connection URI {_redacted(uri)!r}")
        parts = urlsplit(rest)
        try:
            port = parts.port
        except ValueError:
            raise InvalidInputError(f"invalid port in connection URI {_redacted(uri)!r}") from None
        host = _hostname(parts)
        self.host = f"{protocol}://{host}" if protocol else host
        self.schema = unquote(parts.path[1:]) if parts.path[1:] else parts.path[1:]
        self.login = unquote(parts.username) if parts.username else parts.username
        self.password = unquote(parts.password) if parts.password else parts.password
        self.port = port
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.extra = query[EXTRA_KEY] if EXTRA_KEY in query else json.dumps(query)

    def get_uri(self) -> str:
        """This connection as an Airflow URI (login and password percent-encoded)."""
        uri = f"{(self.conn_type or '').replace('_', '-')}://"
        host = self.host
        if host and "://" in host:
            protocol, host = host.split("://", 1)
            if protocol:
                uri += f"{protocol}://"
        authority = ""
        if self.login is not None:
            authority += quote(self.login, safe="")
        if self.password is not None:
            authority += ":" + quote(self.password, safe="")
        if authority:
            uri += authority + "@"
        block = quote(host, safe="") if host else ""
        if self.port:
            block += f"@:{self.port}" if not block and not authority else f":{self.port}"
        if self.schema:
            block += f"/{quote(self.schema, safe='')}"
        uri += block
        if self.extra:
            sep = "?" if self.schema else "/?"
            try:
                query = urlencode(self.extra_dejson)
            except TypeError:
                query = ""
            if query and self.extra_dejson == dict(parse_qsl(query, keep_blank_values=True)):
                uri += sep + query
            else:
                uri += sep + urlencode({EXTRA_KEY: self.extra})
        return uri

    # -- extra and JSON form -------------------------------------------------------------
    @property
    def extra_dejson(self) -> dict[str, Any]:
        """`extra` parsed as JSON ({} when empty or not an object)."""
        if not self.extra:
            return {}
        try:
            value = json.loads(self.extra)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        return {"conn_id": self.conn_id, "conn_type": self.conn_type,
                "description": self.description, "host": self.host, "login": self.login,
                "password": self.password, "schema": self.schema, "port": self.port,
                "extra": self.extra}

    def as_json(self) -> str:
        data = {k: v for k, v in self.to_dict().items() if v is not None and k != "conn_id"}
        return json.dumps(data)

    @classmethod
    def from_json(cls, value: str, conn_id: str | None = None) -> "Connection":
        """Airflow's JSON form: {"conn_type": ..., "host": ..., "extra": {...}}."""
        try:
            data = json.loads(value)
        except ValueError as exc:
            raise InvalidInputError(f"connection {conn_id!r}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidInputError(f"connection {conn_id!r}: JSON must be an object")
        unknown = set(data) - {"conn_type", "description", "host", "login", "password",
                               "schema", "port", "extra", "conn_id"}
        if unknown:
            raise InvalidInputError(f"connection {conn_id!r}: unknown fields {sorted(unknown)}")
        data.pop("conn_id", None)
        if data.get("conn_type"):
            data["conn_type"] = normalize_conn_type(data["conn_type"])
        if data.get("port") not in (None, ""):
            try:
                data["port"] = int(data["port"])
            except (TypeError, ValueError):
                raise InvalidInputError(f"connection {conn_id!r}: port must be a number") from None
        return cls(conn_id=conn_id, **data)

    @classmethod
    def from_text(cls, value: str, conn_id: str | None = None) -> "Connection":
        """A connection from an environment value: JSON when it starts with `{`, else a URI."""
        value = value.strip()
        if value.startswith("{"):
            return cls.from_json(value, conn_id)
        return cls(conn_id=conn_id, uri=value)

    @classmethod
    def get_connection_from_secrets(cls, conn_id: str) -> "Connection":
        from cluster.sdk.secrets import get_connection

        return get_connection(conn_id)

    def get_hook(self, *, hook_params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """The hook of this connection's type: an installed provider's hook class for the
        type (as Airflow's providers manager finds it), else chordflow's SQL hooks."""
        from cluster.compat.namespace import provider_hook_class
        from cluster.sdk.sql_hooks import hook_for

        kwargs.update(hook_params or {})
        hook_class = provider_hook_class(self.conn_type or "")
        if hook_class is not None:
            return hook_class(**{hook_class.conn_name_attr: self.conn_id}, **kwargs)
        return hook_for(self, **kwargs)


def normalize_conn_type(conn_type: str) -> str:
    """URI schemes use `-`, types use `_`; `postgresql` is Airflow's `postgres`."""
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def _hostname(parts: Any) -> str:
    hostname = parts.hostname or ""
    if "/" in hostname or not hostname:
        hostname = parts.netloc.rsplit("@", 1)[-1]
        if ":" in hostname and not hostname.startswith("["):
            hostname = hostname.split(":", 1)[0]
    return unquote(hostname)


def _redacted(uri: str) -> str:
    """The URI with its password replaced, for error messages."""
    try:
        parts = urlsplit(uri)
        if parts.password:
            return uri.replace(f":{parts.password}@", ":***@", 1)
    except ValueError:
        pass
    return uri


__all__ = ["Connection", "AirflowException"]
