"""The `chordflow` command line: a thin layer over `cluster.control.services`."""
from __future__ import annotations

import logging
import sys

import click

from cluster.errors import ChordflowError
from cluster.cli.app import cli
from cluster.cli import connections, dags, pools, processes, runs, tasks, variables  # noqa: F401  (register)
from cluster.cli import assets  # noqa: F401  (register)
from cluster.cli import webserver  # noqa: F401  (register)


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors and exit code 2 for bad input; tracebacks with --verbose."""
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv or "-v" in argv
    try:
        code = cli.main(args=argv, prog_name="chordflow", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("chordflow: aborted", err=True)
        return 130
    except click.UsageError as exc:
        hint = f" (try `chordflow {exc.ctx.command_path.partition(' ')[2]} --help`)".replace(
            "`chordflow  --help`", "`chordflow --help`") if exc.ctx else ""
        click.echo(f"chordflow: error: {exc.format_message()}{hint}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"chordflow: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except ChordflowError as exc:
        if verbose:
            logging.getLogger("chordflow").exception("failed")
        click.echo(f"chordflow: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
