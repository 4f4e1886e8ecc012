"""The early trigger rules under the docker runner (the cluster's default), through the CLI."""
import pytest
from sqlalchemy import text



@pytest.fixture(scope="module")
def docker_cluster(cluster_env):
    return cluster_env.with_docker_runner(concurrency=3)


def test_one_failed_starts_in_its_container_while_the_slow_one_runs(docker_cluster):
    done = docker_cluster.cli("trigger", "s_docker_one_failed", "--wait")
    handle = docker_cluster.cluster()
    try:
        with handle.store.engine.connect() as conn:
            run_pk, state = conn.execute(text(
                "SELECT id, state FROM dag_run WHERE dag_id = 's_docker_one_failed' "
                "ORDER BY id DESC LIMIT 1")).one()
            tis = {t: (s, b, e) for t, s, b, e in conn.execute(text(
                "SELECT task_id, state, start_date, end_date FROM task_instance "
                "WHERE run_pk = :p"), {"p": run_pk})}
    finally:
        handle.close()
    assert {t: v[0] for t, v in tis.items()} == {"slow": "success", "fast": "failed",
                                                 "join": "success"}, done.stdout
    assert state == "success"  # the only leaf succeeded
    logs = docker_cluster.cli("tasks", "logs", str(run_pk), "join").stdout
    assert "with the docker runner" in logs and "joined" in logs
    assert tis["fast"][2] <= tis["join"][1] < tis["slow"][2]
