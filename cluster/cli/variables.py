"""`chordflow variables ...`: set, get, list, delete (sensitive values shown as ***)."""
from __future__ import annotations

import json

import click

from cluster.errors import InvalidInputError, NotFoundError
from cluster.security.masking import MASK, should_hide_value_for_key
from cluster.sdk.secrets import ENVIRONMENT
from cluster.cli.app import cli
from cluster.cli.connections import metastore
from cluster.cli.output import table
from cluster.security.masking import MASKER


def shown(key: str, value: str | None, reveal: bool = False) -> str:
    """A variable's value for output: `***` when its name says it is secret."""

    if value is None or reveal:
        return value or ""
    if should_hide_value_for_key(key):
        return MASK
    if value[:1] in "{[":
        try:
            return json.dumps(MASKER.redact(json.loads(value)))
        except ValueError:
            pass
    return value


@cli.group("variables")
def variables() -> None:
    """Variables DAGs read with Variable.get (stored encrypted with CHORDFLOW_FERNET_KEY)."""


@variables.command("set")
@click.argument("key")
@click.argument("value")
@click.option("-j", "--serialize-json", is_flag=True, help="VALUE is JSON; check and store it.")
@click.option("--description")
@click.pass_context
def variables_set(ctx: click.Context, key: str, value: str, serialize_json: bool,
                  description: str | None) -> None:
    """Store variable KEY with VALUE (replacing an existing one)."""
    if serialize_json:
        try:
            value = json.dumps(json.loads(value), indent=2)
        except ValueError as exc:
            raise InvalidInputError(f"VALUE is not JSON: {exc}") from None
    backend = metastore(ctx)
    backend.set_variable(key, value, description)
    how = "encrypted" if backend.crypto.is_encrypted else \
        "UNENCRYPTED (CHORDFLOW_FERNET_KEY is not set)"
    click.echo(f"variable {key} set (stored {how})")


@variables.command("get")
@click.argument("key")
@click.option("-d", "--default", "default", help="Print this when KEY is not defined.")
@click.option("-j", "--deserialize-json", is_flag=True, help="Print the value as formatted JSON.")
@click.option("--reveal", is_flag=True, help="Show a sensitive value instead of ***.")
@click.pass_context
def variables_get(ctx: click.Context, key: str, default: str | None, deserialize_json: bool,
                  reveal: bool) -> None:
    """The value of KEY (environment overrides first, as tasks see it)."""
    value = ENVIRONMENT.get_variable(key)
    if value is None:
        value = metastore(ctx).get_variable(key)
    if value is None:
        if default is None:
            raise NotFoundError(f"Variable {key} does not exist")
        value = default
    if deserialize_json:
        try:
            value = json.dumps(json.loads(value), indent=2)
        except ValueError as exc:
            raise InvalidInputError(f"variable {key} is not JSON: {exc}") from None
    click.echo(shown(key, value, reveal))


@variables.command("list")
@click.pass_context
def variables_list(ctx: click.Context) -> None:
    """Every stored variable; sensitive values masked."""
    backend = metastore(ctx)
    rows = [(row.key, shown(row.key, backend.crypto.decrypt(row.val, row.is_encrypted)),
             "yes" if row.is_encrypted else "no", row.description or "")
            for row in backend.list_variables()]
    click.echo(table(["key", "value", "encrypted", "description"], rows))


@variables.command("delete")
@click.argument("key")
@click.pass_context
def variables_delete(ctx: click.Context, key: str) -> None:
    """Delete a stored variable."""
    if not metastore(ctx).delete_variable(key):
        raise NotFoundError(f"Variable {key} does not exist")
    click.echo(f"variable {key} deleted")
