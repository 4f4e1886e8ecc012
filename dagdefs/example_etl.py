"""A small ETL in Airflow's TaskFlow style: extract -> per-region transforms -> load -> report.

Runs anywhere: `chordflow run dagdefs/example_etl.py`.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
import tempfile

from cluster import DAG, BashOperator, EmptyOperator, task

REGIONS = ("north", "south", "east", "west")

with DAG(
    "example_etl",
    schedule=None,
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    default_args={"retries": 1, "retry_delay": dt.timedelta(seconds=1)},
    params={"orders": 400, "seed": 7},
    tags=["example"],
) as dag:

    @task
    def extract(params=None) -> list[dict]:
        """Generate a day of orders (stands in for reading a source system)."""
        rng = random.Random(params["seed"])
        orders = [
            {"id": i, "region": rng.choice(REGIONS), "amount": round(rng.uniform(5, 500), 2)}
            for i in range(int(params["orders"]))
        ]
        print(f"extracted {len(orders)} orders")
        return orders

    @task
    def summarize(orders: list[dict], region: str) -> dict:
        mine = [o["amount"] for o in orders if o["region"] == region]
        total = round(sum(mine), 2)
        print(f"{region}: {len(mine)} orders, total {total}")
        return {"region": region, "orders": len(mine), "total": total}

    @task
    def load(*summaries: dict, ds=None) -> dict:
        """Write the day's report; each task may run in its own container, so the
        downstream task gets the figures through XCom, not through this file."""
        out_dir = os.environ.get("CHORDFLOW_EXAMPLE_OUT") or tempfile.gettempdir()
        path = os.path.join(out_dir, f"sales_{ds}.csv")
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["region", "orders", "total"])
            writer.writeheader()
            writer.writerows(summaries)
        print(f"wrote {path}")
        return {"path": path, "orders": sum(s["orders"] for s in summaries),
                "total": round(sum(s["total"] for s in summaries), 2)}

    start = EmptyOperator(task_id="start")
    orders = extract()
    start >> orders
    report_path = load(*[summarize.override(task_id=f"summarize_{r}")(orders, r) for r in REGIONS])
    report = BashOperator(
        task_id="report",
        bash_command="echo 'report for {{ ds }}: "
                     "{{ ti.xcom_pull(task_ids='load')['orders'] }} orders, "
                     "total {{ ti.xcom_pull(task_ids='load')['total'] }}'",
    )
    report_path >> report
