"""`chordflow trigger`, `chordflow run` and `chordflow runs ...`."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from cluster.control import services
from cluster.errors import InvalidInputError, NotFoundError
from cluster.states import RunState
from cluster.cli.app import cli, open_cluster, settings
from cluster.cli.output import seconds, state, table, task_table, when


class Progress:
    """Prints one line each time a task changes state."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.seen: dict[str, str] = {}

    def __call__(self, run, tis) -> None:  # type: ignore[no-untyped-def]
        for ti in tis:
            name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            if self.seen.get(name) != ti.state and ti.state != "none":
                self.seen[name] = ti.state
                click.echo(f"[{time.monotonic() - self.start:7.2f}s] {name}: {state(ti.state)}")


def _finish(cluster, run_pk: int, wait: bool, quiet: bool = False) -> int:  # type: ignore[no-untyped-def]
    if not wait:
        return 0
    run = services.wait(cluster, run_pk, on_progress=None if quiet else Progress())
    run, tis = services.run_details(cluster, run_pk)
    click.echo("")
    click.echo(task_table(tis))
    elapsed = (run.end_date - run.start_date).total_seconds() if run.end_date and run.start_date else None
    click.echo(f"\nrun {run.id} ({run.dag_id} / {run.run_id}): {state(run.state)} in {seconds(elapsed)}")
    return 0 if run.state == RunState.SUCCESS.value else 1


@cli.command("trigger")
@click.argument("dag_id")
@click.option("--conf", "conf_text", help="Run configuration as a JSON object.")
@click.option("--run-id", help="Name of the run (unique per DAG).")
@click.option("--logical-date", "logical_date", help="The run's logical date (ISO 8601; UTC "
              "unless an offset is given), e.g. 2019-01-02.")
@click.option("--wait", is_flag=True, help="Wait for the run; exit 0 on success, 1 on failure.")
@click.pass_context
def trigger(ctx: click.Context, dag_id: str, conf_text: str | None, run_id: str | None,
            logical_date: str | None, wait: bool) -> int:
    """Queue a run of DAG_ID (runs it in this process when no broker is configured)."""
    conf = services.parse_conf(conf_text)
    when = services.parse_date(logical_date) if logical_date is not None else None
    cluster = open_cluster(ctx)
    run = services.trigger(cluster, dag_id, conf, run_id, when)
    click.echo(f"run {run.id} of {dag_id} queued ({run.run_id})")
    return _finish(cluster, run.id, wait or cluster.settings.embedded)


@cli.command("run")
@click.argument("target")
@click.option("--dag-id", help="Which DAG of the file to run (when it defines several).")
@click.option("--conf", "conf_text", help="Run configuration as a JSON object.")
@click.pass_context
def run(ctx: click.Context, target: str, dag_id: str | None, conf_text: str | None) -> int:
    """Run a DAG file (or a DAG id of the DAGs folder) once, embedded: no servers needed.

    SQLite in the state directory (CHORDFLOW_HOME, default ./.chordflow), an in-process
    broker and worker pool; live progress, a final table; exit 0 if the run succeeded.
    """
    conf = services.parse_conf(conf_text)
    base = settings(ctx)
    home = base.home
    path = Path(target)
    overrides = dict(broker_url="memory://", result_backend="cache+memory://",
                     database_url=f"sqlite:///{home / 'chordflow.db'}")
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise InvalidInputError(f"DAG file {target} does not exist")
        # a file of the DAGs folder runs with that folder (its modules import as in
        # Airflow: `from common.settings import ...`); any other file with its own folder
        inside = base.dags_folder in path.absolute().parents
        overrides["dags_folder"] = base.dags_folder if inside else path.absolute().parent
    cluster = open_cluster(ctx, **overrides)
    if "dags_folder" in overrides:
        bag = services.sync_dags(cluster, path.absolute())
        if bag.import_errors:
            raise InvalidInputError(f"{target}: {next(iter(bag.import_errors.values()))}")
        ids = bag.dag_ids
        if dag_id is None:
            if len(ids) != 1:
                raise InvalidInputError(
                    f"{target} defines {len(ids)} DAGs ({', '.join(ids) or 'none'}); "
                    "choose one with --dag-id")
            dag_id = ids[0]
        elif dag_id not in ids:
            raise NotFoundError(f"{target} has no DAG {dag_id!r} (it has {', '.join(ids)})")
    else:
        dag_id = target
    progress = Progress()
    from cluster.control.embedded import runner_name

    where = {"docker": "each task in a container", "kubernetes": "each task in a pod",
             "process": "tasks in this process"}[runner_name(cluster.settings)]
    if cluster.settings.runner == "auto" and where == "tasks in this process":
        where += (f" (no Docker engine with the image {cluster.settings.runtime_image} "
                  "answered; CHORDFLOW_RUNNER=docker to insist)")
    click.echo(f"running {dag_id} embedded, {where} (state in {home})")
    run = services.trigger(cluster, dag_id, conf, on_progress=progress)
    return _finish(cluster, run.id, True, quiet=True)


@cli.command("backfill")
@click.argument("dag_id")
@click.option("-s", "--start-date", "start", required=True, help="First logical date (ISO 8601).")
@click.option("-e", "--end-date", "end", required=True,
              help="Last logical date (ISO 8601; a date alone includes that whole day).")
@click.option("--conf", "conf_text", help="Configuration of every run, as a JSON object.")
@click.option("--no-wait", is_flag=True, help="Queue the runs and return.")
@click.pass_context
def backfill(ctx: click.Context, dag_id: str, start: str, end: str, conf_text: str | None,
             no_wait: bool) -> int:
    """Run DAG_ID for every scheduled logical date from START to END (both included).

    Runs made by an earlier backfill of the same dates are kept: run it again to resume.
    Runs start oldest first within the DAG's max_active_runs. Exit 0 when all succeeded.
    """
    conf = services.parse_conf(conf_text)
    first, last = services.parse_date(start), services.parse_date(end)
    if len(end.strip()) == 10:  # a date alone: the whole day
        last += dt.timedelta(days=1, microseconds=-1)
    cluster = open_cluster(ctx)
    run_pks, created = services.backfill(cluster, dag_id, first, last, conf)
    click.echo(f"backfill of {dag_id}: {len(run_pks)} run(s) from {first.date()} to "
               f"{last.date()}, {created} new, {len(run_pks) - created} already there")
    if no_wait:
        return 0
    failed = 0
    for run_pk in run_pks:
        run = services.wait(cluster, run_pk)
        failed += run.state != RunState.SUCCESS.value
        click.echo(f"  {run.run_id}: {state(run.state)}")
    click.echo(f"backfill of {dag_id}: {len(run_pks) - failed} succeeded, {failed} failed")
    return 1 if failed else 0


@cli.group("runs")
def runs() -> None:
    """DAG runs and their task instances."""


@runs.command("list")
@click.option("--dag", "dag_id", help="Only runs of this DAG.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.pass_context
def runs_list(ctx: click.Context, dag_id: str | None, limit: int) -> None:
    """The newest runs first."""
    cluster = open_cluster(ctx)
    rows = [(r.id, r.dag_id, r.run_id, r.state, when(r.start_date), when(r.end_date))
            for r in services.list_runs(cluster, dag_id, limit)]
    click.echo(table(["id", "dag_id", "run_id", "state", "started", "ended"], rows))


@runs.command("show")
@click.argument("run_ref")
@click.pass_context
def runs_show(ctx: click.Context, run_ref: str) -> None:
    """A run (by number, or DAG_ID/RUN_ID) and its task table."""
    cluster = open_cluster(ctx)
    run, tis = services.run_details(cluster, run_ref)
    click.echo(f"run {run.id}: {run.dag_id} / {run.run_id}  state={state(run.state)}  "
               f"started={when(run.start_date)}  ended={when(run.end_date)}")
    if run.conf:
        click.echo(f"conf keys: {', '.join(sorted(run.conf))}")
    click.echo(task_table(tis))


@runs.command("cancel")
@click.argument("run_ref")
@click.pass_context
def runs_cancel(ctx: click.Context, run_ref: str) -> None:
    """Fail run RUN_REF now: running tasks are stopped (containers and pods included),
    the others never start."""
    cluster = open_cluster(ctx)
    run, stopped = services.cancel_run(cluster, run_ref)
    click.echo(f"run {run.id} of {run.dag_id}: cancelled ({run.state}); "
               f"stopping {', '.join(stopped) or 'nothing running'}")
