"""fetch-ratings: page through the movielens ratings API and save one date range as JSON.

Keeps the ratings whose timestamp falls in [start_date, end_date) (UTC), pages with
``--batch_size``, and writes the file atomically so a killed task leaves no half file.
The password never appears in output; pass it through MOVIELENS_PASSWORD to keep it off
the command line as well.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import click

RETRIES = 5


def _day(value: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2019-01-31") from None


def _get(url: str, auth: str, user: str) -> dict:
    """GET one page, retrying while the API is unreachable or failing (it may be starting)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {auth}",
                                                   "Accept": "application/json"})
    for attempt in range(1, RETRIES + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise click.ClickException(f"the API refused the credentials of user {user!r}")
            if exc.code < 500 or attempt == RETRIES:
                raise click.ClickException(f"GET {url} failed: HTTP {exc.code}")
            reason = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            if attempt == RETRIES:
                raise click.ClickException(f"GET {url} failed: {getattr(exc, 'reason', exc)}")
            reason = str(getattr(exc, "reason", exc))
        click.echo(f"attempt {attempt} failed ({reason}); retrying", err=True)
        time.sleep(min(2 ** attempt, 10))
    raise AssertionError("unreachable")


def fetch(host: str, user: str, password: str, start: dt.datetime, end: dt.datetime,
          batch_size: int) -> list[dict]:
    """All ratings in [start, end), one page of at most batch_size at a time."""
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    lo, hi = start.timestamp(), end.timestamp()
    ratings: list[dict] = []
    offset = 0
    while True:
        query = urlencode({"start_date": start.date().isoformat(),
                           "end_date": end.date().isoformat(),
                           "offset": offset, "limit": batch_size})
        page = _get(f"{host.rstrip('/')}/ratings?{query}", auth, user)
        rows = page["result"]
        ratings.extend(r for r in rows if lo <= r["timestamp"] < hi)
        offset += len(rows)
        if not rows or offset >= page["total"]:
            return ratings


def write_json(path: str, data: object) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fetch-ratings-")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@click.command()
@click.option("--start_date", required=True, help="First day, inclusive (YYYY-MM-DD).")
@click.option("--end_date", required=True, help="Last day, exclusive (YYYY-MM-DD).")
@click.option("--output_path", required=True, type=click.Path(dir_okay=False),
              help="JSON file to write; parent directories are created.")
@click.option("--user", envvar="MOVIELENS_USER", required=True, show_envvar=True,
              help="API user.")
@click.option("--password", envvar="MOVIELENS_PASSWORD", required=True, show_envvar=True,
              help="API password.")
@click.option("--host", envvar="MOVIELENS_HOST", default="http://movielens-api:5000",
              show_default=True, show_envvar=True, help="Base URL of the ratings API.")
@click.option("--batch_size", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="Ratings per request.")
def main(start_date: str, end_date: str, output_path: str, user: str, password: str,
         host: str, batch_size: int) -> None:
    """Fetch the ratings from START_DATE up to END_DATE and write them to OUTPUT_PATH."""
    start, end = _day(start_date), _day(end_date)
    if end <= start:
        raise click.BadParameter("must be after --start_date", param_hint="--end_date")
    ratings = fetch(host, user, password, start, end, batch_size)
    write_json(output_path, ratings)
    click.echo(f"fetched {len(ratings)} ratings for [{start_date}, {end_date}) into {output_path}")


if __name__ == "__main__":
    main()
