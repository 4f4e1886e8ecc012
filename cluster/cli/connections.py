"""`chordflow connections ...`: add, list, get, delete (passwords shown as ***)."""
from __future__ import annotations

import json

import click

from cluster.sdk.connection import Connection
from cluster.security.crypto import Crypto
from cluster.errors import InvalidInputError, NotFoundError
from cluster.security.masking import MASK
from cluster.control.metastore_secrets import MetastoreBackend
from cluster.cli.app import cli, open_cluster
from cluster.cli.output import table
from cluster.sdk.secrets import ENVIRONMENT
from cluster.security.masking import MASKER


def metastore(ctx: click.Context) -> MetastoreBackend:
    cluster = open_cluster(ctx)
    return MetastoreBackend(cluster.store, Crypto(cluster.settings.fernet_key))


def shown(conn: Connection, reveal: bool = False) -> dict[str, object]:
    """The connection's fields for output: password and sensitive extras masked."""

    data = conn.to_dict()
    if not reveal:
        if data["password"]:
            data["password"] = MASK
        if conn.extra_dejson:
            data["extra"] = json.dumps(MASKER.redact(conn.extra_dejson))
    return data


@cli.group("connections")
def connections() -> None:
    """Connections to external systems (stored encrypted with CHORDFLOW_FERNET_KEY)."""


@connections.command("add")
@click.argument("conn_id")
@click.option("--conn-uri", help="An Airflow connection URI, e.g. postgres://user:pw@host:5432/db.")
@click.option("--conn-json", help="The connection as a JSON object.")
@click.option("--conn-type")
@click.option("--conn-host")
@click.option("--conn-login")
@click.option("--conn-password")
@click.option("--conn-schema")
@click.option("--conn-port", type=click.IntRange(0, 65535))
@click.option("--conn-extra", help="Extra fields as a JSON object.")
@click.option("--conn-description")
@click.option("--replace", is_flag=True, help="Replace an existing connection of that id.")
@click.pass_context
def connections_add(ctx: click.Context, conn_id: str, conn_uri: str | None,
                    conn_json: str | None, conn_type: str | None, conn_host: str | None,
                    conn_login: str | None, conn_password: str | None,
                    conn_schema: str | None, conn_port: int | None, conn_extra: str | None,
                    conn_description: str | None, replace: bool) -> None:
    """Store connection CONN_ID, from --conn-uri, --conn-json or --conn-type and its parts."""
    given = sum(x is not None for x in (conn_uri, conn_json, conn_type))
    if given != 1:
        raise InvalidInputError("give exactly one of --conn-uri, --conn-json or --conn-type")
    if conn_extra is not None:
        try:
            if not isinstance(json.loads(conn_extra), dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise InvalidInputError(f"--conn-extra must be a JSON object ({exc})") from None
    if conn_uri is not None:
        conn = Connection(conn_id=conn_id, uri=conn_uri, description=conn_description)
        if conn_extra is not None:
            conn.extra = conn_extra
    elif conn_json is not None:
        conn = Connection.from_json(conn_json, conn_id)
    else:
        conn = Connection(conn_id=conn_id, conn_type=conn_type, host=conn_host,
                          login=conn_login, password=conn_password, schema=conn_schema,
                          port=conn_port, extra=conn_extra, description=conn_description)
    if not conn.conn_type:
        raise InvalidInputError(f"connection {conn_id!r} has no type")
    backend = metastore(ctx)
    if not backend.add_connection(conn, replace=replace):
        raise InvalidInputError(f"a connection with conn_id {conn_id!r} already exists "
                                "(--replace to overwrite it)")
    how = "encrypted" if backend.crypto.is_encrypted else \
        "UNENCRYPTED (CHORDFLOW_FERNET_KEY is not set)"
    click.echo(f"connection {conn_id} added ({conn.conn_type}, stored {how})")


@connections.command("list")
@click.pass_context
def connections_list(ctx: click.Context) -> None:
    """Every stored connection; passwords masked."""
    backend = metastore(ctx)
    rows = []
    for row in backend.list_connections():
        rows.append((row.conn_id, row.conn_type, row.host, row.port, row.schema, row.login,
                     MASK if row.password else "", "yes" if row.is_encrypted else "no"))
    click.echo(table(["conn_id", "conn_type", "host", "port", "schema", "login", "password",
                      "encrypted"], rows))


@connections.command("get")
@click.argument("conn_id")
@click.option("--output", "fmt", type=click.Choice(["table", "json", "uri"]), default="table",
              show_default=True)
@click.option("--reveal", is_flag=True, help="Show the password and secret extras.")
@click.pass_context
def connections_get(ctx: click.Context, conn_id: str, fmt: str, reveal: bool) -> None:
    """One connection (environment overrides first, as tasks see it); password masked."""

    backend = metastore(ctx)
    conn = ENVIRONMENT.get_connection(conn_id) or backend.get_connection(conn_id)
    if conn is None:
        raise NotFoundError(f"The conn_id `{conn_id}` isn't defined")
    data = shown(conn, reveal)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    elif fmt == "uri":
        masked = Connection(**{k: v for k, v in data.items() if k != "conn_id"})
        click.echo(masked.get_uri())
    else:
        click.echo(table(["field", "value"], [(k, v) for k, v in data.items()]))


@connections.command("delete")
@click.argument("conn_id")
@click.pass_context
def connections_delete(ctx: click.Context, conn_id: str) -> None:
    """Delete a stored connection."""
    if not metastore(ctx).delete_connection(conn_id):
        raise NotFoundError(f"no stored connection {conn_id!r}")
    click.echo(f"connection {conn_id} deleted")
