"""rank-movies: rank movies by average rating (then by number of ratings) into a CSV."""
import csv
import json
import os
from collections import defaultdict

import click


@click.command()
@click.option("--input_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--output_path", required=True, type=click.Path(dir_okay=False))
@click.option("--min_ratings", default=1, show_default=True, type=click.IntRange(1))
def main(input_path, output_path, min_ratings):
    with open(input_path) as fh:
        ratings = json.load(fh)
    sums, counts = defaultdict(float), defaultdict(int)
    for r in ratings:
        sums[r["movieId"]] += r["rating"]
        counts[r["movieId"]] += 1
    ranked = sorted(((m, sums[m] / counts[m], counts[m]) for m in counts if counts[m] >= min_ratings),
                    key=lambda row: (-row[1], -row[2], row[0]))
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open(output_path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["movieId", "avg_rating", "num_ratings"])
        for movie, avg, n in ranked:
            writer.writerow([movie, f"{avg:.3f}", n])
    click.echo(f"ranked {len(ranked)} movies from {len(ratings)} ratings -> {output_path}")


if __name__ == "__main__":
    main()
