"""`chordflow dags ...`: what the DAGs folder holds and what failed to load."""
from __future__ import annotations

import click

from .. import services
from .app import cli, open_cluster
from .output import table


@cli.group()
def dags() -> None:
    """DAGs found in the DAGs folder."""


@dags.command("list")
@click.pass_context
def dags_list(ctx: click.Context) -> None:
    """Parse the DAGs folder and list its DAGs (import errors are counted below)."""
    cluster = open_cluster(ctx)
    services.sync_dags(cluster)
    rows = [(d.dag_id, d.schedule or "None", ",".join(d.tags or []), d.fileloc,
             "yes" if d.is_paused else "no") for d in services.list_dags(cluster)]
    click.echo(table(["dag_id", "schedule", "tags", "file", "paused"], rows))
    errors = services.import_errors(cluster)
    if errors:
        click.echo(f"\n{len(errors)} file(s) failed to load; see `chordflow dags errors`", err=True)


@dags.command("errors")
@click.pass_context
def dags_errors(ctx: click.Context) -> None:
    """Files of the DAGs folder that failed to load, with the reason."""
    cluster = open_cluster(ctx)
    services.sync_dags(cluster)
    errors = services.import_errors(cluster)
    if not errors:
        click.echo("no import errors")
        return
    click.echo(table(["file", "error"], [(e.filename, e.message) for e in errors]))


@dags.command("pause")
@click.argument("dag_id")
@click.pass_context
def dags_pause(ctx: click.Context, dag_id: str) -> None:
    """Stop creating scheduled runs of DAG_ID (what runs goes on; triggers still run)."""
    services.set_paused(open_cluster(ctx), dag_id, True)
    click.echo(f"{dag_id}: paused")


@dags.command("unpause")
@click.argument("dag_id")
@click.pass_context
def dags_unpause(ctx: click.Context, dag_id: str) -> None:
    """Let the scheduler create DAG_ID's scheduled runs."""
    services.set_paused(open_cluster(ctx), dag_id, False)
    click.echo(f"{dag_id}: unpaused")
