"""pendulum values go wherever a datetime goes: DAG dates, schedules, the store, contexts."""
import datetime as dt

import pendulum

from cluster.sdk.dag import DAG
from cluster.sdk.schedules import due_runs
from cluster.planning.serialization import serialize_dag
from cluster.sdk.templating import environment, render, template_context


def test_pendulum_dates_load_and_round_trip_through_the_serialized_dag():
    with DAG("p", start_date=pendulum.datetime(2021, 1, 1, tz="Europe/Paris"),
             end_date=pendulum.datetime(2021, 2, 1, tz="UTC"), schedule="@daily",
             default_args={"retry_delay": pendulum.duration(minutes=2)}) as dag:
        pass
    data = serialize_dag(dag)
    start = dt.datetime.fromisoformat(data["start_date"])
    assert start == dt.datetime(2020, 12, 31, 23, tzinfo=dt.timezone.utc)
    assert dt.datetime.fromisoformat(data["end_date"]) == dt.datetime(2021, 2, 1, tzinfo=dt.timezone.utc)


def test_a_pendulum_start_date_schedules_runs():
    start = pendulum.datetime(2024, 1, 1, tz="UTC")
    now = pendulum.datetime(2024, 1, 3, 12, tz="UTC")
    runs = due_runs("@daily", start, None, None, now, catchup=True)
    assert runs == [dt.datetime(2024, 1, d, tzinfo=dt.timezone.utc) for d in (1, 2)]
    assert due_runs(dt.timedelta(days=1), start, None, runs[-1], now, catchup=True) == []


def test_context_dates_are_pendulum_as_in_airflow():
    context = template_context(dt.datetime(2024, 3, 5, 6, tzinfo=dt.timezone.utc), "@daily")
    for name in ("logical_date", "data_interval_start", "data_interval_end"):
        assert isinstance(context[name], pendulum.DateTime), name
    assert context["logical_date"].timezone_name == "UTC"
    assert render("{{ logical_date.add(days=1).to_date_string() }} {{ ds }} {{ ts }}", context, environment()) == \
        "2024-03-06 2024-03-05 2024-03-05T06:00:00+00:00"
    assert render("{{ data_interval_end.subtract(hours=1).hour }}", context, environment()) == "23"
