"""`chordflow tasks ...`: task instances of a run."""
from __future__ import annotations

import click

from .. import services
from .app import cli, open_cluster


@cli.group("tasks")
def tasks() -> None:
    """Task instances: logs, rendered template fields."""


@tasks.command("logs")
@click.argument("run_ref")
@click.argument("task_id")
@click.option("--try", "try_number", type=click.IntRange(1), help="Only this try.")
@click.pass_context
def tasks_logs(ctx: click.Context, run_ref: str, task_id: str, try_number: int | None) -> None:
    """The captured output of TASK_ID in run RUN_REF, every try unless --try."""
    cluster = open_cluster(ctx)
    chunks = services.task_logs(cluster, run_ref, task_id, try_number)
    current = None
    for number, text in chunks:
        if number != current:
            click.echo(f"--- try {number} ---")
            current = number
        click.echo(text, nl=False)
    if not chunks:
        click.echo("(no log yet)")


@tasks.command("render")
@click.argument("run_ref")
@click.argument("task_id")
@click.option("--map-index", default=-1, show_default=True, type=int)
@click.pass_context
def tasks_render(ctx: click.Context, run_ref: str, task_id: str, map_index: int) -> None:
    """TASK_ID's template fields as rendered in run RUN_REF (secrets shown as ***)."""
    import json

    cluster = open_cluster(ctx)
    fields = services.rendered_fields(cluster, run_ref, task_id, map_index)
    if fields is None:
        click.echo(f"(no rendered fields recorded for {task_id}: it has not run yet, "
                   "or none of its template fields uses a template)")
        return
    for name, value in fields.items():
        click.echo(f"# {'-' * 58}\n# property: {name}\n# {'-' * 58}")
        click.echo(value if isinstance(value, str) else json.dumps(value, indent=2))
        click.echo("")
