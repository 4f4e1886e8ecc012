"""DAGs the asset tests use: producers that update assets through `outlets`, and DAGs
scheduled on them (all of two, any of two), in Airflow 2 and 3 spellings; extra data on
events (`outlet_events`, `yield Metadata`, a `post_execute` hook) and an AssetAlias that
a task resolves at run time."""
import datetime as dt
import json

from airflow import DAG
from airflow.datasets import Dataset
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.sdk import (Asset, AssetAlias, AssetOrTimeSchedule, CronTriggerTimetable,
                         Metadata, task)


RAW = Dataset("s3://bucket/raw.csv")
TABLE = Asset("clean_table", uri="postgres://warehouse/public/clean")

with DAG("as_make_raw", schedule=None, start_date=dt.datetime(2024, 1, 1)) as as_make_raw:
    BashOperator(task_id="write_raw", bash_command="echo raw", outlets=[RAW])

with DAG("as_make_table", schedule=None, start_date=dt.datetime(2024, 1, 1)) as as_make_table:
    PythonOperator(task_id="write_table", python_callable=lambda: "clean", outlets=[TABLE])

with DAG("as_fail_raw", schedule=None, start_date=dt.datetime(2024, 1, 1)) as as_fail_raw:
    BashOperator(task_id="write_raw", bash_command="exit 3", outlets=[RAW])


def report(dag_run=None, triggering_asset_events=None, triggering_dataset_events=None,
           data_interval_start=None, data_interval_end=None, inlet_events=None):
    seen = {uri: [[e.source_dag_id, e.source_task_id] for e in events]
            for uri, events in triggering_asset_events.items()}
    assert dict(triggering_dataset_events) == dict(triggering_asset_events)
    report = {"run_type": dag_run.run_id.split("__")[0], "events": seen,
              "interval_ordered": data_interval_start <= data_interval_end,
              "inlets": sorted(inlet_events)}
    print("report:", json.dumps(report, sort_keys=True))
    return report  # its XCom: what the tests read, under every runner


with DAG("as_wait_both", schedule=[RAW, TABLE], start_date=dt.datetime(2024, 1, 1)) as both:
    PythonOperator(task_id="report", python_callable=report, inlets=[RAW])

with DAG("as_wait_either", schedule=(RAW | TABLE), start_date=dt.datetime(2024, 1, 1)) as either:
    PythonOperator(task_id="report", python_callable=report)


ALIAS = AssetAlias("as-alias")
ALIASED = "s3://bucket/aliased.csv"
EXTRAS = Asset("s3://bucket/extras.csv")


def attach(outlet_events=None):
    outlet_events[ALIAS].add(Asset(ALIASED), extra={"rows": 3})


with DAG("as_alias_producer", schedule=None, start_date=dt.datetime(2024, 1, 1)):
    PythonOperator(task_id="attach", python_callable=attach, outlets=[ALIAS])


def report_alias(dag_run=None, triggering_asset_events=None, inlet_events=None):
    report = {"run_type": dag_run.run_id.split("__")[0],
              "triggering": {uri: [e.extra for e in events]
                             for uri, events in triggering_asset_events.items()},
              "through_alias": [[e.uri, e.extra] for e in inlet_events[ALIAS]]}
    print("report:", json.dumps(report, sort_keys=True))
    return report


with DAG("as_alias_consumer", schedule=[ALIAS], start_date=dt.datetime(2024, 1, 1)):
    PythonOperator(task_id="report", python_callable=report_alias, inlets=[ALIAS])


def set_extra_after(context, result):
    context["outlet_events"][EXTRAS].extra = {"by": "post_execute", "output": result}


with DAG("as_extras", schedule=None, start_date=dt.datetime(2024, 1, 1)):
    @task(outlets=[EXTRAS])
    def by_yield():
        yield Metadata(EXTRAS, {"by": "yield"})
        return "returned"

    @task(outlets=[EXTRAS])
    def by_context(outlet_events=None):
        outlet_events[EXTRAS].extra = {"by": "context"}

    by_yield() >> by_context() >> BashOperator(
        task_id="by_hook", bash_command="echo hooked", outlets=[EXTRAS],
        post_execute=set_extra_after)


TIMED = Asset("s3://bucket/timed.csv")

with DAG("as_make_timed", schedule=None, start_date=dt.datetime(2024, 1, 1)):
    BashOperator(task_id="write_timed", bash_command="echo timed", outlets=[TIMED])

# runs every day at midnight (the latest one at once when unpaused) and on each update
with DAG("as_or_time", start_date=dt.datetime(2024, 1, 1), schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 0 * * *", timezone="UTC", run_immediately=True),
        assets=TIMED)):
    BashOperator(task_id="run", bash_command="echo {{ dag_run.run_type }}")
