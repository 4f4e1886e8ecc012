"""Mapped task groups through the CLI on a real cluster, under the process runner and the
docker runner (the cluster's default): each task of the group per index, reading the
group's other tasks at its own index; a reduce after the group; `map_indexes=`."""
import json

import pytest
from sqlalchemy import text

from tests.conftest import RUNTIME_IMAGE
from tests.servers import docker_client


@pytest.fixture(scope="module", params=["process", "docker"])
def groups(request, cluster_env):
    if request.param == "docker":
        docker_client([RUNTIME_IMAGE])
    cluster_env.scheduler()
    cluster_env.worker(concurrency=3, name=request.param, CHORDFLOW_RUNNER=request.param)
    yield cluster_env, request.param
    cluster_env.stop()


def run(c, dag_id):
    """Trigger and wait; the run's state and (task_id, map_index) -> (state, XCom)."""
    done = c.cli("trigger", dag_id, "--wait", timeout=300)
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            run_pk, state = conn.execute(text(
                "SELECT id, state FROM dag_run WHERE dag_id = :d ORDER BY id DESC LIMIT 1"),
                {"d": dag_id}).one()
            tis = {(t, m): (s, json.loads(v) if v else None) for t, m, s, v in conn.execute(text(
                "SELECT ti.task_id, ti.map_index, ti.state, x.value FROM task_instance ti "
                "LEFT JOIN xcom x ON x.run_pk = ti.run_pk AND x.task_id = ti.task_id "
                "AND x.map_index = ti.map_index AND x.key = 'return_value' "
                "WHERE ti.run_pk = :p"), {"p": run_pk})}
    finally:
        handle.close()
    return done, run_pk, state, tis


def test_each_index_runs_the_group_on_its_own_value(groups):
    c, runner = groups
    done, run_pk, state, tis = run(c, "mg_literal")
    assert state == "success", done.stdout + done.stderr
    assert {k: v for k, v in tis.items() if k[0] == "op.mul_2"} == {
        ("op.mul_2", -1): ("success", None), ("op.mul_2", 0): ("success", 4),
        ("op.mul_2", 1): ("success", 6), ("op.mul_2", 2): ("success", 8)}
    # the classic operator of the group ran once per index, templated with its own index
    assert [tis[("op.echo", i)][1] for i in range(3)] == ["index 0", "index 1", "index 2"]
    # after the group: every index's value; map_indexes picks one, or several in order
    assert tis[("total", -1)] == ("success", {"sum": 18, "second": 6, "picked": [4, 2]})
    logs = c.cli("tasks", "logs", str(run_pk), "op.mul_2", "--map-index", "1").stdout
    assert f"with the {runner} runner" in logs


def test_expand_kwargs_over_a_task_output_with_partial_and_defaults(groups):
    c, _ = groups
    done, _, state, tis = run(c, "mg_runtime")
    assert state == "success", done.stdout + done.stderr
    assert [tis[("scaled.times", i)][1] for i in range(2)] == [110, 106]  # 100+1*10, 100+2*3
    assert tis[("collect", -1)] == ("success", ["v=110", "v=106"])
