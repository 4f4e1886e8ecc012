"""`chordflow pools ...`: limits on how many task instances run at once."""
from __future__ import annotations

import click

from cluster.control import pools as pool_services
from cluster.cli.app import cli, open_cluster
from cluster.cli.output import table


@cli.group()
def pools() -> None:
    """Pools: tasks that name one (`pool=`) run only while it has free slots."""


@pools.command("set")
@click.argument("name")
@click.argument("slots", type=int)
@click.option("--description", help="What the pool protects.")
@click.pass_context
def pools_set(ctx: click.Context, name: str, slots: int, description: str | None) -> None:
    """Create pool NAME with SLOTS slots, or change its size."""
    pool_services.set_pool(open_cluster(ctx), name, slots, description)
    click.echo(f"pool {name}: {slots} slot(s)")


@pools.command("list")
@click.pass_context
def pools_list(ctx: click.Context) -> None:
    """Every pool, its size and the slots running tasks use now."""
    rows = [(name, slots, used, desc or "") for name, slots, used, desc
            in pool_services.list_pools(open_cluster(ctx))]
    click.echo(table(["pool", "slots", "running", "description"], rows))


@pools.command("delete")
@click.argument("name")
@click.pass_context
def pools_delete(ctx: click.Context, name: str) -> None:
    """Delete pool NAME (tasks that name it then fail with a clear reason)."""
    pool_services.delete_pool(open_cluster(ctx), name)
    click.echo(f"pool {name}: deleted")
