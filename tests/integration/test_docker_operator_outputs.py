"""DockerOperator's xcom_all, retrieve_output and force_pull on a real engine, through the CLI."""
import pytest

from cluster.control import services
from cluster.store import xcoms as xcom_store
from tests.conftest import RUNTIME_IMAGE as IMAGE
from tests.servers import docker_client


@pytest.fixture(scope="module")
def engine():
    return docker_client([IMAGE])


@pytest.fixture(scope="module")
def docker_cluster(engine, cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=3, name="docker", CHORDFLOW_RUNNER="docker")
    return cluster_env


def test_xcom_all_and_retrieve_output(docker_cluster):
    done = docker_cluster.cli("trigger", "sd_outputs", "--wait")
    handle = docker_cluster.cluster()
    try:
        run = services.list_runs(handle, "sd_outputs", limit=1)[0]
        xcoms = xcom_store.pull_xcoms(handle.store, run.id, ["all_lines", "last_line", "pickled"],
                                    "return_value")
    finally:
        handle.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert xcoms == {"all_lines": ["one", "two", "three"], "last_line": "three",
                     "pickled": {"rows": [1, 2], "ok": True}}


def test_force_pull_pulls_even_an_image_the_engine_has(docker_cluster):
    done = docker_cluster.cli("trigger", "sd_force_pull", "--wait")
    handle = docker_cluster.cluster()
    try:
        run = services.list_runs(handle, "sd_force_pull", limit=1)[0]
        _, tis = services.run_details(handle, run.id)
    finally:
        handle.close()
    assert done.returncode == 1 and tis[0].state == "failed"
    assert f"cannot pull image {IMAGE}" in tis[0].error
    logs = docker_cluster.cli("tasks", "logs", str(run.id), "pull").stdout
    assert f"pulling image {IMAGE} (force_pull)" in logs
