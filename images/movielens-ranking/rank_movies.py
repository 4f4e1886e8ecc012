"""rank-movies: rank movies by average rating, then by number of ratings, into a CSV.

Reads the JSON list that fetch-ratings writes and writes ``movieId,avg_rating,num_ratings``
atomically, best movie first; movies with fewer than ``--min_ratings`` ratings are left out.
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from collections import defaultdict

import click


def rank(ratings: list[dict], min_ratings: int = 1) -> list[tuple[int, float, int]]:
    """(movieId, average, count) per movie, by average then count (both descending)."""
    sums: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for r in ratings:
        sums[r["movieId"]] += float(r["rating"])
        counts[r["movieId"]] += 1
    rows = [(movie, sums[movie] / n, n) for movie, n in counts.items() if n >= min_ratings]
    return sorted(rows, key=lambda row: (-row[1], -row[2], row[0]))


def write_csv(path: str, rows: list[tuple[int, float, int]]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".rank-movies-")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["movieId", "avg_rating", "num_ratings"])
            writer.writerows((movie, f"{avg:.4f}", n) for movie, avg, n in rows)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@click.command()
@click.option("--input_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSON ratings written by fetch-ratings.")
@click.option("--output_path", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write; parent directories are created.")
@click.option("--min_ratings", type=click.IntRange(1), default=1, show_default=True,
              help="Leave out movies with fewer ratings than this.")
def main(input_path: str, output_path: str, min_ratings: int) -> None:
    """Rank the movies rated in INPUT_PATH and write the ranking to OUTPUT_PATH."""
    with open(input_path) as fh:
        ratings = json.load(fh)
    rows = rank(ratings, min_ratings)
    write_csv(output_path, rows)
    click.echo(f"ranked {len(rows)} movies from {len(ratings)} ratings into {output_path}")


if __name__ == "__main__":
    main()
