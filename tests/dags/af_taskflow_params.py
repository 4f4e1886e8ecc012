"""Airflow 2 TaskFlow: `@dag` / `@task`, multiple_outputs, XComs passed as arguments,
and typed `Param`s a run's conf may override. Runs unchanged."""
from datetime import datetime

from airflow.decorators import dag, task
from airflow.models.param import Param


@dag(
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["taskflow"],
    params={
        "multiplier": Param(2, type="integer", minimum=1, maximum=10,
                            description="Scale applied to the total"),
        "label": Param("orders", type="string", minLength=1),
        "currency": Param("EUR", enum=["EUR", "USD", "GBP"]),
    },
)
def af_taskflow_params():
    @task(multiple_outputs=True)
    def extract():
        order_data = {"1001": 301.27, "1002": 433.21, "1003": 502.22}
        return {"total": round(sum(order_data.values()), 2), "count": len(order_data)}

    @task()
    def transform(total: float, count: int, params=None):
        return {
            "label": params["label"],
            "scaled": round(total * params["multiplier"], 2),
            "average": round(total / count, 2),
            "currency": params["currency"],
        }

    @task()
    def load(summary: dict):
        print(f"loaded {summary['label']}: scaled={summary['scaled']} "
              f"{summary['currency']} average={summary['average']}")

    totals = extract()
    load(transform(totals["total"], totals["count"]))


af_taskflow_params()
