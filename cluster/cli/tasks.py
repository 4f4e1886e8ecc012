"""`chordflow tasks ...`: task instances of a run."""
from __future__ import annotations

import click

from cluster.control import services
from cluster.cli.app import cli, open_cluster


@cli.group("tasks")
def tasks() -> None:
    """Task instances: logs, rendered template fields."""


@tasks.command("logs")
@click.argument("run_ref")
@click.argument("task_id")
@click.option("--try", "try_number", type=click.IntRange(1), help="Only this try.")
@click.option("--map-index", default=-1, show_default=True, type=click.IntRange(-1),
              help="One mapped task instance of a mapped task.")
@click.pass_context
def tasks_logs(ctx: click.Context, run_ref: str, task_id: str, try_number: int | None,
               map_index: int) -> None:
    """The captured output of TASK_ID in run RUN_REF, every try unless --try."""
    cluster = open_cluster(ctx)
    chunks = services.task_logs(cluster, run_ref, task_id, try_number, map_index)
    current = None  # the chunks are streamed: a long log is printed as it is read
    for number, text in chunks:
        if number != current:
            click.echo(f"--- try {number} ---")
            current = number
        click.echo(text, nl=False)
    if current is None:
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


@tasks.command("clear")
@click.argument("run_ref")
@click.option("-t", "--task", "task_regex", help="Only tasks whose id matches this regex.")
@click.option("-d", "--downstream", is_flag=True, help="Also every task downstream of them.")
@click.option("-u", "--upstream", is_flag=True, help="Also every task upstream of them.")
@click.option("--wait", is_flag=True, help="Wait for the run; exit 0 on success, 1 on failure.")
@click.pass_context
def tasks_clear(ctx: click.Context, run_ref: str, task_regex: str | None, downstream: bool,
                upstream: bool, wait: bool) -> int:
    """Run tasks of run RUN_REF again (all of them unless --task); the rest keep their results."""
    cluster = open_cluster(ctx)
    run, cleared = services.clear_tasks(cluster, run_ref, task_regex, downstream, upstream)
    click.echo(f"run {run.id} of {run.dag_id}: cleared {len(cleared)} task(s): {', '.join(cleared)}")
    if wait:
        run = services.wait(cluster, run.id)
        click.echo(f"run {run.id}: {run.state}")
        return 0 if run.state == "success" else 1
    return 0


@tasks.command("mark")
@click.argument("run_ref")
@click.argument("task_id")
@click.argument("state", type=click.Choice(["success", "failed"]))
@click.pass_context
def tasks_mark(ctx: click.Context, run_ref: str, task_id: str, state: str) -> None:
    """Set TASK_ID of run RUN_REF to STATE by hand (a running try is stopped)."""
    cluster = open_cluster(ctx)
    before, run = services.mark_task(cluster, run_ref, task_id, state)
    click.echo(f"{task_id}: {before} -> {state}; run {run.id} is {run.state}")
