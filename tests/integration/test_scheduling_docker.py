"""Time zones and assets under the docker runner (the cluster's default): the data interval
stored with a run and the triggering asset events reach the task container, and tasks in
containers record their outlets' events."""
import json

import pytest

from tests.servers import ok, wait_for

from .test_assets import RAW, TABLE, done, query, runs_of


@pytest.fixture(scope="module")
def docker_sched(cluster_env):
    return cluster_env.with_docker_runner(concurrency=2)


def log_of(c, run_pk, task_id):
    return ok(c.cli("tasks", "logs", str(run_pk), task_id))


def test_a_backfill_across_dst_renders_the_stored_interval_in_containers(docker_sched):
    c = docker_sched
    out = ok(c.cli("backfill", "tt_amsterdam", "-s", "2024-03-30", "-e", "2024-03-31"))
    assert "2 succeeded, 0 failed" in out
    runs = runs_of(c, "tt_amsterdam")
    assert [r.run_id for r in runs] == ["backfill__2024-03-30T01:00:00+00:00",
                                        "backfill__2024-03-31T01:00:00+00:00"]
    log = log_of(c, runs[1].id, "templated")
    assert "with the docker runner" in log
    assert "2024-03-31 2024-03-31T01:00:00+00:00 2024-04-01 00:00:00+00:00" in log


def test_assets_updated_in_containers_trigger_a_run_that_sees_its_events(docker_sched):
    c = docker_sched
    ok(c.cli("dags", "unpause", "as_wait_both"))
    wait_for(lambda: query(c, "SELECT 1 FROM asset_dag_cursor WHERE dag_id = 'as_wait_both'"),
             30, what="as_wait_both to be seen")
    ok(c.cli("trigger", "as_make_raw", "--wait"))
    ok(c.cli("trigger", "as_make_table", "--wait"))
    wait_for(lambda: done(c, "as_wait_both", 1), 90, what="the asset-triggered run")
    [run] = runs_of(c, "as_wait_both")
    log = log_of(c, run.id, "report")
    assert "with the docker runner" in log
    report = json.loads(next(l for l in log.splitlines() if "report: " in l).split("report: ", 1)[1])
    assert report == {"run_type": "asset_triggered", "interval_ordered": True, "inlets": [RAW],
                      "events": {RAW: [["as_make_raw", "write_raw"]],
                                 TABLE: [["as_make_table", "write_table"]]}}
