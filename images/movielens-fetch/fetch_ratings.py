"""fetch-ratings: page through the ratings API for [start_date, end_date) and write JSON."""
import base64
import json
import os
import urllib.request
from urllib.parse import urlencode

import click


@click.command()
@click.option("--start_date", required=True, help="YYYY-MM-DD, inclusive")
@click.option("--end_date", required=True, help="YYYY-MM-DD, exclusive")
@click.option("--output_path", required=True, type=click.Path(dir_okay=False))
@click.option("--user", envvar="MOVIELENS_USER", required=True)
@click.option("--password", envvar="MOVIELENS_PASSWORD", required=True)
@click.option("--host", default="http://movielens-api:5000", show_default=True)
@click.option("--batch_size", default=100, show_default=True, type=click.IntRange(1, 1000))
def main(start_date, end_date, output_path, user, password, host, batch_size):
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    ratings, offset = [], 0
    while True:
        query = urlencode({"start_date": start_date, "end_date": end_date,
                           "offset": offset, "limit": batch_size})
        request = urllib.request.Request(f"{host}/ratings?{query}",
                                         headers={"Authorization": f"Basic {auth}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            page = json.loads(response.read())
        ratings.extend(page["result"])
        offset += batch_size
        if offset >= page["total"]:
            break
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open(output_path, "w") as fh:
        json.dump(ratings, fh)
    click.echo(f"fetched {len(ratings)} ratings from {start_date} to {end_date} -> {output_path}")


if __name__ == "__main__":
    main()
