"""Airflow arguments honoured on a real cluster, through the CLI: callbacks, a task's own
dates, concurrency limits (mapped children count), fail_stop, upserts, xcom_pull from
another run, and a fresh dagrun_timeout after a clear."""
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from tests.servers import ok


@pytest.fixture(scope="module")
def args_cluster(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=3)
    cluster_env.worker(concurrency=3)
    return cluster_env


def latest(c, dag_id):
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            row = conn.execute(text("SELECT id, run_id, state, start_date, end_date FROM dag_run "
                                    "WHERE dag_id = :d ORDER BY id DESC LIMIT 1"),
                               {"d": dag_id}).one()
            tis = {t: (s, e) for t, s, e in conn.execute(text(
                "SELECT task_id, state, error FROM task_instance WHERE run_pk = :p "
                "AND map_index = -1"), {"p": row.id})}
            xcoms = {t: json.loads(v) for t, v in conn.execute(text(
                "SELECT task_id, value FROM xcom WHERE run_pk = :p AND key = 'return_value'"),
                {"p": row.id})}
    finally:
        handle.close()
    return row, tis, xcoms


def lines(c, name):
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / name
    return [l.rsplit(" ", 1)[0] for l in path.read_text().splitlines()] if path.exists() else []


def most_at_once(c, name):
    events = []
    for line in (Path(c.env["CHORDFLOW_TEST_OUT"]) / name).read_text().splitlines():
        _, kind, at = line.split()
        events.append((float(at), 1 if kind == "start" else -1))
    most = now = 0
    for _, step in sorted(events):
        now += step
        most = max(most, now)
    return most, len(events) // 2


def test_on_execute_and_on_skipped_callbacks(args_cluster):
    c = args_cluster
    ok(c.cli("trigger", "a_callbacks", "--wait"))
    got = lines(c, "args_callbacks.txt")
    assert sorted(got) == sorted(["execute skipper", "skipped skipper", "execute worker",
                                  "execute-again worker", "run worker"])
    assert got.index("execute worker") < got.index("run worker")
    _, tis, _ = latest(c, "a_callbacks")
    assert tis["after_skip"][0] == "skipped"  # by its trigger rule: no callback for it


def test_a_task_outside_its_own_dates_is_skipped(args_cluster):
    c = args_cluster
    ok(c.cli("trigger", "a_task_dates", "--wait"))
    row, tis, _ = latest(c, "a_task_dates")
    assert row.state == "success" and tis["now"][0] == "success"
    assert tis["not_yet"][0] == "skipped" and "before the task's start_date" in tis["not_yet"][1]
    assert tis["over"][0] == "skipped" and "after the task's end_date" in tis["over"][1]


@pytest.mark.parametrize("dag_id,name,limit,count", [
    ("a_max_tasks", "max_tasks.txt", 2, 5),     # DAG max_active_tasks
    ("a_concurrency", "concurrency.txt", 1, 3),  # its older name, concurrency
    ("a_per_run", "per_run.txt", 1, 4),          # max_active_tis_per_dagrun, mapped
    ("a_mapped_pool", "mapped_pool.txt", 2, 5),  # a pool counts each mapped child
])
def test_limits_bound_running_task_instances(args_cluster, dag_id, name, limit, count):
    c = args_cluster  # six worker processes could run every one of them at once
    ok(c.cli("pools", "set", "args_pool", "2"))
    ok(c.cli("trigger", dag_id, "--wait"))
    assert most_at_once(c, name) == (limit, count)


def test_fail_stop_fails_the_run_and_stops_running_tasks(args_cluster):
    c = args_cluster
    done = c.cli("trigger", "a_fail_stop", "--wait")
    row, tis, _ = latest(c, "a_fail_stop")
    assert done.returncode == 1 and row.state == "failed"
    assert tis["fails"][0] == "failed"
    assert tis["slow"][0] == "failed" and "fail_stop: task fails failed" in tis["slow"][1]
    assert tis["after_slow"][0] == "skipped"
    assert "slow end" not in lines(c, "fail_stop.txt")
    assert (row.end_date - row.start_date).total_seconds() < 30


def test_postgres_insert_rows_replace_upserts(args_cluster):
    c = args_cluster
    parts = urlsplit(c.env["CHORDFLOW_DATABASE_URL"])
    ok(c.cli("connections", "add", "cf_args_pg", "--conn-uri",
             parts._replace(scheme="postgres").geturl()))
    done = c.cli("trigger", "a_upsert", "--wait")
    row, _, xcoms = latest(c, "a_upsert")
    assert row.state == "success", done.stdout + ok(c.cli("tasks", "logs", str(row.id), "upsert"))
    assert xcoms["upsert"] == [[1, "apple", 1], [2, "PEAR", 2], [3, "plum?", 9]]


def test_xcom_pull_from_another_dag_and_run(args_cluster):
    c = args_cluster
    ok(c.cli("trigger", "a_xcom_source", "--run-id", "shared", "--wait"))
    ok(c.cli("trigger", "a_xcom_source", "--run-id", "source-2", "--wait"))
    ok(c.cli("trigger", "a_xcom_reader", "--run-id", "shared", "--wait"))
    _, _, xcoms = latest(c, "a_xcom_reader")
    assert xcoms["read"] == {"same_run_id": "made in shared", "given_run": "made in source-2",
                             "no_such_run": None, "own": None}


def test_a_cleared_run_gets_a_fresh_dagrun_timeout_clock(args_cluster):
    c = args_cluster
    ok(c.cli("trigger", "a_timeout_clear", "--wait"))
    row, _, _ = latest(c, "a_timeout_clear")
    handle = c.cluster()
    try:  # the run started an hour ago: far longer than its 30 s dagrun_timeout
        with handle.store.engine.begin() as conn:
            conn.execute(text("UPDATE dag_run SET start_date = start_date - interval '1 hour', "
                              "end_date = end_date - interval '1 hour' WHERE id = :p"),
                         {"p": row.id})
    finally:
        handle.close()
    done = c.cli("tasks", "clear", str(row.id), "--wait")
    again, tis, _ = latest(c, "a_timeout_clear")
    assert done.returncode == 0 and again.state == "success", done.stdout + done.stderr
    assert tis["quick"][0] == "success"
    # the clock the scheduler's dagrun_timeout check reads restarted at the clear
    assert again.start_date > row.start_date  # not the hour-old one
