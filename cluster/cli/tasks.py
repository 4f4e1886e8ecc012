"""`chordflow tasks ...`: task instances of a run."""
from __future__ import annotations

import click

from .. import services
from .app import cli, open_cluster


@cli.group("tasks")
def tasks() -> None:
    """Task instances: logs."""


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
