"""The root command group and what every command shares (settings, the cluster handle)."""
from __future__ import annotations

import logging

import click

from cluster.config import Settings
from cluster.control.services import Cluster


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and tracebacks.")
@click.version_option(package_name="chordflow", prog_name="chordflow")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """chordflow: Airflow-style DAGs on Celery workers, each task in its own container."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def settings(ctx: click.Context, **overrides) -> Settings:
    return Settings.from_env(**overrides)


def open_cluster(ctx: click.Context, **overrides) -> Cluster:
    cluster = Cluster.open(settings(ctx, **overrides))
    ctx.call_on_close(cluster.close)
    return cluster
