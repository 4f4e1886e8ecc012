"""Long-running processes and setup: worker, scheduler, db, config."""
from __future__ import annotations

import logging
import signal
import threading

import click

from ..errors import ConfigError
from ..scheduler import Scheduler
from ..store import Store
from .app import cli, open_cluster, settings


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
    from ..celery_app import prepare_worker

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
    logging.getLogger("chordflow").setLevel(cluster.settings.log_level)
    logging.basicConfig(level=cluster.settings.log_level,
                        format="[%(asctime)s: %(levelname)s/scheduler] %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    Scheduler(cluster.settings, cluster.store, cluster.app).run_forever(stop)


@cli.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--wait", "wait_s", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait for the database to accept connections.")
@click.pass_context
def db_upgrade(ctx: click.Context, wait_s: float) -> None:
    """Create or migrate the schema to the newest version."""
    import time

    from ..errors import ServiceUnavailableError

    s = settings(ctx)
    store = Store(s.database_url)
    deadline = time.monotonic() + wait_s
    try:
        while True:  # a migration job may start before its database is up
            try:
                store.check()
                break
            except ServiceUnavailableError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        store.upgrade()
    finally:
        store.dispose()
    click.echo(f"database {store} is up to date")


@cli.group("config")
def config() -> None:
    """The effective configuration."""


@config.command("show")
@click.pass_context
def config_show(ctx: click.Context) -> None:
    """Every setting with its value; passwords and keys masked."""
    for name, value in settings(ctx).shown().items():
        click.echo(f"{name}={value}")
