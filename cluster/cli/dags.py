"""`chordflow dags ...`: what the DAGs folder holds and what failed to load."""
from __future__ import annotations

import click

from cluster.control import services
from cluster.cli.app import cli, open_cluster
from cluster.cli.output import table


@cli.group()
def dags() -> None:
    """DAGs found in the DAGs folder."""


LOCAL = click.option("--local", is_flag=True,
                     help="Parse the DAGs folder here instead of reading what the DAG "
                          "processor recorded (records nothing).")


def _said_where(view: services.FolderView, cluster) -> None:  # type: ignore[no-untyped-def]
    if view.local:
        click.echo(f"parsed {cluster.settings.dags_folder} here; nothing was recorded "
                   "(`chordflow dags reserialize` records it)", err=True)


@dags.command("list")
@LOCAL
@click.pass_context
def dags_list(ctx: click.Context, local: bool) -> None:
    """List the DAGs the DAG processor recorded (read-only; import errors are counted
    below). Before anything was recorded, or with --local, the folder is parsed here."""
    cluster = open_cluster(ctx)
    view = services.folder_view(cluster, local)
    rows = [(dag_id, schedule or "None", ",".join(tags), fileloc, "yes" if paused else "no")
            for dag_id, schedule, tags, fileloc, paused in view.dags]
    click.echo(table(["dag_id", "schedule", "tags", "file", "paused"], rows))
    _said_where(view, cluster)
    if view.errors:
        click.echo(f"\n{len(view.errors)} file(s) failed to load; see `chordflow dags errors`",
                   err=True)


@dags.command("errors")
@LOCAL
@click.pass_context
def dags_errors(ctx: click.Context, local: bool) -> None:
    """Files of the DAGs folder that failed to load, with the reason (read-only, as
    `dags list`)."""
    cluster = open_cluster(ctx)
    view = services.folder_view(cluster, local)
    _said_where(view, cluster)
    if not view.errors:
        click.echo("no import errors")
        return
    click.echo(table(["file", "error"], view.errors))


@dags.command("reserialize")
@click.pass_context
def dags_reserialize(ctx: click.Context) -> None:
    """Parse the DAGs folder now and record its DAGs and import errors (Airflow's
    `dags reserialize`), without waiting for the DAG processor's next pass."""
    parsed = services.sync_dags(open_cluster(ctx))
    click.echo(f"recorded {len(parsed.dag_ids)} DAG(s) from {len(parsed.files)} file(s); "
               f"{len(parsed.import_errors)} import error(s)")


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
