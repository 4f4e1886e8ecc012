"""`chordflow webserver` (REST API + UI) and `chordflow hash-password` (for its users)."""
from __future__ import annotations

import logging
import sys

import click

from cluster.errors import ConfigError
from cluster.cli.app import cli, open_cluster


@cli.command("webserver")
@click.option("-p", "--port", type=click.IntRange(1, 65535),
              help="Port to listen on (default: CHORDFLOW_WEBSERVER_PORT or 8080).")
@click.option("-H", "--hostname", help="Address to bind (default: CHORDFLOW_WEBSERVER_HOST "
                                       "or 0.0.0.0).")
@click.pass_context
def webserver(ctx: click.Context, port: int | None, hostname: str | None) -> None:
    """Serve the REST API (/api/v2) and the web UI; needs users configured."""
    try:
        import uvicorn

        from cluster.web.app import create_app
        from cluster.web.settings import WebSettings
    except ImportError as exc:
        raise ConfigError(f"the web server needs {exc.name}: pip install chordflow again") \
            from None
    web = WebSettings.from_env()
    cluster = open_cluster(ctx)
    logging.basicConfig(level=cluster.settings.log_level,
                        format="[%(asctime)s: %(levelname)s/webserver] %(message)s")
    host, port = hostname or web.host, port or web.port
    logging.getLogger("chordflow.webserver").warning(
        "web server on http://%s:%d (users: %s)", host, port, ", ".join(sorted(web.users)))
    # Live pages hold event streams open: a stop waits a moment for requests, not for them.
    uvicorn.run(create_app(cluster, web), host=host, port=port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=3)


@cli.command("hash-password")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (prompted for when not given).")
def hash_password(password: str) -> None:
    """Print a hash for CHORDFLOW_WEBSERVER_USERS=NAME:HASH."""
    from cluster.web.passwords import hash_password as make

    if not password:
        raise click.BadParameter("the password is empty", param_hint="--password")
    click.echo(make(password))
    sys.stdout.flush()
