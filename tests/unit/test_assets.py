"""Assets and asset conditions (pure): Airflow 2's Dataset and 3's Asset spellings."""
import datetime as dt

import pytest

from cluster.sdk.asset_events import AssetEventRecord, AssetEventsByAsset
from cluster.sdk.assets import Asset, AssetAll, AssetAny, Dataset, condition_of, from_json
from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError
from cluster.sdk.operators.empty import EmptyOperator
from cluster.planning.serialization import serialize_dag
from cluster.sdk.timetables import AssetTriggeredTimetable
from cluster.sdk.timetables import codec

A, B, C = Dataset("s3://a"), Asset("b_table", uri="pg://b"), Asset("c")


def test_names_and_uris():
    assert (A.name, A.uri, A.group) == ("s3://a", "s3://a", "dataset")
    assert (B.name, B.uri, B.group) == ("b_table", "pg://b", "asset")
    assert (C.name, C.uri) == ("c", "c") and Asset(uri="x").name == "x"
    assert A == Dataset("s3://a") and len({A, Dataset("s3://a"), B}) == 2
    for bad in ("", "  ", "s3://caf\u00e9", 3):
        with pytest.raises(DagDefinitionError, match="non-empty|ASCII"):
            Asset(bad)
    with pytest.raises(DagDefinitionError, match="watchers"):
        Asset("w", watchers=["x"])
    # Airflow's team filter of asset events: refused by name, never accepted and ignored
    with pytest.raises(DagDefinitionError, match="access_control.*no teams"):
        Asset("t", access_control=object())


def test_conditions_combine_with_and_or():
    cond = (A & B) | C
    assert isinstance(cond, AssetAny)
    assert cond.evaluate({"s3://a": True, "pg://b": True})
    assert cond.evaluate({"c": True})
    assert not cond.evaluate({"s3://a": True})
    assert [a.uri for a in cond.iter_assets()] == ["s3://a", "pg://b", "c"]
    assert isinstance(A & B & C, AssetAll) and len((A & B & C).objects) == 3
    listed = condition_of([A, B])
    assert isinstance(listed, AssetAll) and not listed.evaluate({"s3://a": True})
    assert condition_of("@daily") is None
    with pytest.raises(DagDefinitionError, match="assets"):
        A & "s3://b"
    with pytest.raises(DagDefinitionError, match="must hold assets"):
        condition_of([A, "s3://b"])


def test_a_condition_round_trips_through_its_stored_form():
    cond = AssetAny(AssetAll(A, B), C)
    again = from_json(cond.as_json())
    assert again.as_json() == cond.as_json()
    timetable = AssetTriggeredTimetable(cond)
    decoded = codec.decode(codec.encode(timetable))
    assert isinstance(decoded, AssetTriggeredTimetable)
    assert decoded.asset_condition.evaluate({"c": True})


def test_a_dag_scheduled_on_assets_and_a_task_with_outlets():
    with DAG("consumer", schedule=[A, B], start_date=dt.datetime(2024, 1, 1)) as dag:
        EmptyOperator(task_id="make", outlets=[C], inlets=A)
    assert isinstance(dag.timetable, AssetTriggeredTimetable)
    data = serialize_dag(dag)
    assert data["schedule"] == "Asset"
    assert data["tasks"][0]["outlets"] == [{"uri": "c", "name": "c", "group": "asset", "extra": {}}]
    assert dag.get_task("make").inlets == [A]
    with DAG("plain", schedule=None) as plain:
        EmptyOperator(task_id="t")
    assert "outlets" not in serialize_dag(plain)["tasks"][0]  # other DAGs' digests unchanged
    with pytest.raises(DagDefinitionError, match="outlets must be Assets"):
        with DAG("bad", schedule=None):
            EmptyOperator(task_id="t", outlets=["s3://a"])


def test_events_by_asset_are_read_once_and_keyed_by_uri_or_asset():
    loads = []
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

    def load():
        loads.append(1)
        return [AssetEventRecord(1, "s3://a", "s3://a", {}, stamp, "d", "t", "r", -1),
                AssetEventRecord(2, "s3://a", "s3://a", {"n": 2}, stamp, "d", "t", "r2", -1)]

    events = AssetEventsByAsset(load)
    assert loads == []  # nothing read until a task looks
    assert [e.id for e in events[A]] == [1, 2] and events["s3://a"][1].extra == {"n": 2}
    assert list(events) == ["s3://a"] and len(events) == 1 and loads == [1]
    assert AssetEventRecord.from_json(events["s3://a"][0].as_json()) == events["s3://a"][0]
    with pytest.raises(KeyError):
        events[B]
