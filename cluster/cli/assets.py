"""`chordflow assets ...` (also `datasets`): assets, their events, producers and consumers."""
from __future__ import annotations

import json

import click

from cluster.control import asset_catalog
from cluster.cli.app import cli, open_cluster
from cluster.cli.output import table, when


@cli.group()
def assets() -> None:
    """Assets (Airflow 2's datasets): tasks update them through `outlets`, DAGs with
    `schedule=[Asset(...)]` run when they were updated."""


@assets.command("list")
@click.pass_context
def assets_list(ctx: click.Context) -> None:
    """Every asset, how often it was updated, by which tasks, and which DAGs wait for it."""
    rows = [(a.uri, a.events, when(a.last_event), ",".join(a.producers) or "-",
             ",".join(a.consumers) or "-") for a in asset_catalog.list_assets(open_cluster(ctx))]
    click.echo(table(["uri", "events", "last event", "updated by", "scheduled dags"], rows))


@assets.command("events")
@click.argument("uri")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.pass_context
def assets_events(ctx: click.Context, uri: str, limit: int) -> None:
    """The latest events of the asset URI, oldest first."""
    rows = [(e.id, when(e.timestamp), e.source_dag_id or "-", e.source_task_id or "-",
             e.source_run_id or "-", json.dumps(e.extra, sort_keys=True) if e.extra else "-")
            for e in asset_catalog.asset_events(open_cluster(ctx), uri, limit)]
    click.echo(table(["id", "timestamp", "dag_id", "task_id", "run_id", "extra"], rows))


cli.add_command(assets, "datasets")
