"""Long-running processes and setup: worker, scheduler, db, config."""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading

import click

from cluster.errors import ConfigError
from cluster.control.dag_processor import DagProcessor
from cluster.control.scheduler import Scheduler
from cluster.control import maintenance
from cluster.timezones import as_utc
from cluster.cli.app import cli, open_cluster, settings


def _autoscale(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts) or \
            int(parts[0]) < int(parts[1]) or int(parts[0]) < 1:
        raise click.BadParameter("expected MAX,MIN with MAX >= MIN >= 0, e.g. 8,2")
    return value


@cli.command("worker")
@click.option("-c", "--concurrency", type=click.IntRange(1, 1024), help="Worker processes.")
@click.option("--autoscale", callback=_autoscale, help="MAX,MIN processes (Celery autoscale).")
@click.option("-Q", "--queues", help="Comma-separated queues to consume (default: celery).")
@click.option("-n", "--hostname", help="Worker node name (default: celery@HOST).")
@click.option("--loglevel", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None, autoscale: str | None,
           queues: str | None, hostname: str | None, loglevel: str) -> None:
    """Start a Celery worker that runs task instances (needs a Redis broker)."""
    cluster = open_cluster(ctx)
    if cluster.settings.embedded:
        raise ConfigError("a worker needs a broker: set CHORDFLOW_BROKER_URL=redis://HOST:6379/0")
    cluster.check_broker()
    from cluster.celery_app import prepare_worker

    prepare_worker(cluster.settings, loglevel)
    argv = ["worker", f"--loglevel={loglevel.upper()}", "-E"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if autoscale:
        argv.append(f"--autoscale={autoscale}")
    if queues:
        argv.append(f"--queues={queues}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    cluster.app.worker_main(argv)


@cli.command("scheduler")
@click.pass_context
def scheduler(ctx: click.Context) -> None:
    """Parse DAGs, start queued runs as Celery canvases, repair lost work."""
    cluster = open_cluster(ctx)
    if cluster.settings.embedded:
        raise ConfigError("a scheduler needs a broker: set CHORDFLOW_BROKER_URL=redis://HOST:6379/0")
    cluster.check_broker()
    Scheduler(cluster.settings, cluster.store, cluster.app).run_forever(
        _until_stopped(cluster.settings.log_level, "scheduler"))


@cli.command("dag-processor")
@click.pass_context
def dag_processor(ctx: click.Context) -> None:
    """Parse the DAGs folder every CHORDFLOW_DAG_DIR_LIST_INTERVAL and record DAGs and
    import errors (run with CHORDFLOW_STANDALONE_DAG_PROCESSOR=true on the schedulers)."""
    cluster = open_cluster(ctx)
    DagProcessor(cluster.settings, cluster.store).run_forever(
        _until_stopped(cluster.settings.log_level, "dag-processor"))


def _until_stopped(log_level: str, name: str) -> threading.Event:
    """Logging for a long-running process, and the event SIGTERM or Ctrl-C sets."""
    logging.getLogger("chordflow").setLevel(log_level)
    logging.basicConfig(level=log_level, format=f"[%(asctime)s: %(levelname)s/{name}] %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@cli.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--wait", "wait_s", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for the database to accept connections.")
@click.pass_context
def db_upgrade(ctx: click.Context, wait_s: float) -> None:
    """Create or migrate the schema to the newest version."""
    name = maintenance.upgrade_schema(settings(ctx).database_url, wait_s)
    click.echo(f"database {name} is up to date")


def _timestamp(ctx: click.Context, param: click.Parameter, value: str | None
               ) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time, "
                                 "e.g. 2026-11-01 or 2026-11-01T00:00:00+00:00") from None
    return as_utc(when)  # a time without a zone is UTC, Airflow's default zone


def _tables(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()] if value else list(maintenance.CLEANABLE_TABLES)
    unknown = [n for n in names if n not in maintenance.CLEANABLE_TABLES]
    if unknown:
        raise click.BadParameter(f"no table {', '.join(unknown)} to clean "
                                 f"(known: {', '.join(maintenance.CLEANABLE_TABLES)})")
    return names


@db.command("clean")
@click.option("--clean-before-timestamp", "before", callback=_timestamp,
              help="Delete what is older than this ISO 8601 time (UTC unless it has a zone).")
@click.option("--older-than", "days", type=click.FloatRange(0, min_open=True), metavar="DAYS",
              help="Delete what is older than this many days (instead of a timestamp).")
@click.option("-t", "--tables", callback=_tables,
              help=f"Comma-separated tables (default: all of {', '.join(maintenance.CLEANABLE_TABLES)}).")
@click.option("--dry-run", is_flag=True, help="Count the rows that would go; delete nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def db_clean(ctx: click.Context, before: dt.datetime | None, days: float | None,
             tables: list[str], dry_run: bool, yes: bool) -> None:
    """Delete old runs, logs, XComs, import errors and asset events (not archived).

    Runs still queued or running, each DAG's latest scheduled run and asset events a DAG
    has yet to take into account are kept whatever their age."""
    if (before is None) == (days is None):
        raise click.UsageError("give one of --clean-before-timestamp TIME or --older-than DAYS")
    if days is not None:
        before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    assert before is not None
    if not dry_run and not yes:
        question = f"Delete {', '.join(tables)} rows older than {before.isoformat()}?"
        try:
            confirmed = click.confirm(question, err=True)
        except click.Abort:  # no answer (stdin closed)
            confirmed = False
        if not confirmed:
            raise click.ClickException("nothing deleted (pass --yes to clean without asking)")
    found = maintenance.clean(settings(ctx).database_url, before, tables, dry_run)
    verb = "would delete" if dry_run else "deleted"
    for name, rows in found.items():
        click.echo(f"{name}: {verb} {rows} row{'s' if rows != 1 else ''}")


@cli.group("config")
def config() -> None:
    """The effective configuration."""


@config.command("show")
@click.pass_context
def config_show(ctx: click.Context) -> None:
    """Every setting with its value; passwords and keys masked."""
    for name, value in settings(ctx).shown().items():
        click.echo(f"{name}={value}")
