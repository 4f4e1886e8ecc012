"""Data-aware scheduling through the CLI with a real scheduler and workers: tasks update
assets through `outlets`, DAGs scheduled on assets run when their condition holds."""
import json

import pytest
from sqlalchemy import text

from tests.servers import ok, wait_for

RAW, TABLE = "s3://bucket/raw.csv", "postgres://warehouse/public/clean"


@pytest.fixture(scope="module")
def assets_cluster(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def query(c, sql, **args):
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            return conn.execute(text(sql), args).all()
    finally:
        handle.close()


def runs_of(c, dag_id):
    return query(c, "SELECT id, run_id, run_type, state FROM dag_run WHERE dag_id = :d "
                    "ORDER BY id", d=dag_id)


def reports(c, dag_id):
    """What each run's `report` task saw (its XCom), in run order."""
    return [json.loads(v) for v, in query(
        c, "SELECT x.value FROM xcom x JOIN dag_run r ON r.id = x.run_pk WHERE r.dag_id = :d "
           "AND x.task_id = 'report' AND x.key = 'return_value' ORDER BY r.id", d=dag_id)]


def done(c, dag_id, n):
    runs = runs_of(c, dag_id)
    return len(runs) == n and all(r.state == "success" for r in runs)


def test_runs_follow_asset_updates_all_and_any(assets_cluster):
    c = assets_cluster
    for dag_id in ("as_wait_both", "as_wait_either"):
        ok(c.cli("dags", "unpause", dag_id))
    # the scheduler notes where each unpaused DAG starts reading events from
    wait_for(lambda: len(query(c, "SELECT dag_id FROM asset_dag_cursor")) == 2, 30,
             what="the asset-scheduled DAGs to be seen")
    ok(c.cli("trigger", "as_make_raw", "--wait"))
    wait_for(lambda: done(c, "as_wait_either", 1), 60, what="the either-DAG's run")
    assert runs_of(c, "as_wait_both") == []  # still waits for the table
    ok(c.cli("trigger", "as_make_table", "--wait"))
    wait_for(lambda: done(c, "as_wait_both", 1) and done(c, "as_wait_either", 2), 60,
             what="the both-DAG's run and the either-DAG's second")
    assert {r.run_type for r in runs_of(c, "as_wait_both")} == {"asset_triggered"}
    [both] = reports(c, "as_wait_both")
    assert both == {"run_type": "asset_triggered", "interval_ordered": True,
                    "events": {RAW: [["as_make_raw", "write_raw"]],
                               TABLE: [["as_make_table", "write_table"]]},
                    "inlets": [RAW]}
    either = reports(c, "as_wait_either")
    assert [r["events"] for r in either] == [{RAW: [["as_make_raw", "write_raw"]]},
                                             {TABLE: [["as_make_table", "write_table"]]}]


def test_a_failed_task_records_no_event_and_the_cli_lists_assets(assets_cluster):
    c = assets_cluster
    failed = c.cli("trigger", "as_fail_raw", "--wait")
    assert failed.returncode == 1
    listed = ok(c.cli("assets", "list"))
    row = next(l for l in listed.splitlines() if l.startswith(RAW)).split()
    assert row[1] == "1"  # the failed write added no event
    assert "as_fail_raw.write_raw,as_make_raw.write_raw" in row
    assert "as_wait_both,as_wait_either" in row
    assert listed == ok(c.cli("datasets", "list"))
    events = ok(c.cli("assets", "events", TABLE))
    assert "as_make_table" in events and "write_table" in events
    bad = c.cli("assets", "events", "s3://nowhere")
    assert bad.returncode == 2 and bad.stderr.strip() == "chordflow: error: no asset with URI 's3://nowhere'"


def test_events_carry_extra_and_an_alias_resolves_at_run_time(assets_cluster):
    c = assets_cluster
    # extra data: yielded Metadata, outlet_events in the context, a post_execute hook
    ok(c.cli("trigger", "as_extras", "--wait"))
    extras = [json.loads(e) for e, in query(
        c, "SELECT CAST(e.extra AS TEXT) FROM asset_event e JOIN asset a ON a.id = e.asset_id "
           "WHERE a.uri = :u ORDER BY e.id", u="s3://bucket/extras.csv")]
    assert extras == [{"by": "yield"}, {"by": "context"},
                      {"by": "post_execute", "output": "hooked"}]
    # the returned value of a generator task is its XCom
    xcom = query(c, "SELECT value FROM xcom WHERE task_id = 'by_yield' AND key = 'return_value'")
    assert [json.loads(v) for v, in xcom] == ["returned"]
    # an alias: the consumer runs on the event that came through it
    ok(c.cli("dags", "unpause", "as_alias_consumer"))
    wait_for(lambda: query(c, "SELECT 1 FROM asset_dag_cursor WHERE dag_id = 'as_alias_consumer'"),
             30, what="the alias-scheduled DAG to be seen")
    ok(c.cli("trigger", "as_alias_producer", "--wait"))
    wait_for(lambda: done(c, "as_alias_consumer", 1), 60, what="the alias consumer's run")
    [seen] = reports(c, "as_alias_consumer")
    assert seen == {"run_type": "asset_triggered",
                    "triggering": {"s3://bucket/aliased.csv": [{"rows": 3}]},
                    "through_alias": [["s3://bucket/aliased.csv", {"rows": 3}]]}
    events = ok(c.cli("assets", "events", "s3://bucket/aliased.csv"))
    assert "as_alias_producer" in events and "attach" in events and '{"rows": 3}' in events


def test_asset_or_time_schedule_runs_on_its_timetable_and_on_updates(assets_cluster):
    c = assets_cluster
    ok(c.cli("dags", "unpause", "as_or_time"))
    # run_immediately: the latest midnight's scheduled run comes at once
    wait_for(lambda: [r.run_type for r in runs_of(c, "as_or_time")] == ["scheduled"]
             and done(c, "as_or_time", 1), 60, what="the timetable's run")
    wait_for(lambda: query(c, "SELECT 1 FROM asset_dag_cursor WHERE dag_id = 'as_or_time'"),
             30, what="the DAG's asset cursor")
    ok(c.cli("trigger", "as_make_timed", "--wait"))
    wait_for(lambda: done(c, "as_or_time", 2), 60, what="the asset-triggered run")
    assert [r.run_type for r in runs_of(c, "as_or_time")] == ["scheduled", "asset_triggered"]
    listed = ok(c.cli("assets", "list"))
    row = next(l for l in listed.splitlines() if l.startswith("s3://bucket/timed.csv"))
    assert "as_or_time" in row  # listed as a consumer
