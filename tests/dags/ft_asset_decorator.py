"""Airflow 3's @asset: each function is an asset, a DAG and its one task."""
from airflow.sdk import asset


@asset(uri="s3://bucket/raw_orders", schedule=None)
def raw_orders(self, context):
    print(f"producing {self.uri} in run {context['run_id']}")
    return 3


@asset(uri="s3://bucket/clean_orders", schedule=raw_orders)
def clean_orders(self, context, raw_orders):
    events = context["inlet_events"][raw_orders]
    print(f"cleaning {raw_orders.uri}: {len(events)} event(s), first by "
          f"{events[0].source_dag_id}.{events[0].source_task_id}")
