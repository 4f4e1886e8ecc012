"""SQL tasks on a real cluster, against the test's own PostgreSQL database."""
from urllib.parse import urlsplit

import pytest

from cluster.control import services
from cluster.store.xcoms import pull_xcoms
from tests.servers import ok

DAG_ID = "t_sql_ops"


@pytest.fixture(scope="module")
def sql_cluster(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    return cluster_env


def test_sql_operators_write_and_read_postgres(sql_cluster):
    c = sql_cluster
    parts = urlsplit(c.env["CHORDFLOW_DATABASE_URL"])
    ok(c.cli("connections", "add", "cf_sql_pg", "--conn-uri",
             parts._replace(scheme="postgres").geturl()))
    done = c.cli("trigger", DAG_ID, "--wait", "--logical-date", "2024-03-05")
    handle = c.cluster()
    try:
        run = services.list_runs(handle, DAG_ID, limit=1)[0]
        run, tis = services.run_details(handle, run.id)
        xcoms = pull_xcoms(handle.store, run.id, ["create", "insert", "two_statements", "select"],
                           "return_value")
    finally:
        handle.close()
    logs = ok(c.cli("tasks", "logs", str(run.id), "select"))
    assert done.returncode == 0 and run.state == "success", done.stdout + done.stderr + logs
    assert {t.task_id: t.state for t in tis} == dict.fromkeys(
        ["create", "insert", "two_statements", "select"], "success")
    assert xcoms["select"] == [[1, "apple!", 1.25, "2024-03-05"],
                               [2, "semi;colon", 2.5, "2024-02-29"]]
    assert "two_statements" not in xcoms  # its last statement, an UPDATE, returns no rows
    assert "Running statement: SELECT id, name" in logs and "'semi;colon'" in logs
    rendered = ok(c.cli("tasks", "render", str(run.id), "insert"))
    assert "2024-03-05" in rendered
