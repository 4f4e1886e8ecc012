"""Every task in a container: the docker runner and the DockerOperator on a real engine."""
import signal

import pytest

from cluster.control import services
from tests.servers import container_ids, docker_client, task_containers, wait_for

from tests.conftest import RUNTIME_IMAGE as IMAGE


@pytest.fixture(scope="module")
def engine():
    return docker_client([IMAGE])


# the installation label of this module's cluster: other checkouts sharing the engine
# number their runs from 1 too
INSTALLATION: dict[str, str] = {}


@pytest.fixture(scope="module")
def docker_cluster(engine, cluster_env):
    from cluster.store import Store
    store = Store(cluster_env.env["CHORDFLOW_DATABASE_URL"])
    INSTALLATION["url"] = str(store.url)
    store.dispose()
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2, name="docker", CHORDFLOW_RUNNER="docker")
    return cluster_env


def run(cluster_env, dag_id, **kw):
    done = cluster_env.cli("trigger", dag_id, "--wait")
    handle = cluster_env.cluster()
    run = services.list_runs(handle, dag_id, limit=1)[0]
    run, tis = services.run_details(handle, run.id)
    handle.close()
    return done, run, {t.task_id: t for t in tis}


def leftovers(engine, run_pk):
    """The containers of this cluster's run `run_pk`, running or not."""
    return task_containers(engine, INSTALLATION["url"], run_pk)


def test_python_tasks_run_in_runtime_containers_with_xcom(docker_cluster, engine):
    done, run_, tis = run(docker_cluster, "t_docker_python")
    assert done.returncode == 0, done.stdout + done.stderr
    logs = docker_cluster.cli("tasks", "logs", str(run_.id), "echo").stdout
    assert "with the docker runner" in logs and "upstream ran as uid 1000 on " in logs
    # the container's hostname is not the worker's
    import socket
    assert f"on {socket.gethostname()}\n" not in logs
    assert leftovers(engine, run_.id) == []


def test_a_try_ending_on_a_burst_of_output_has_all_of_it_in_its_log(docker_cluster, engine):
    """The try is over when the container's end mark has come through on stdout and on
    stderr (not at the container's teardown): every line before it is in the log, the
    mark itself is not."""
    done, run_, tis = run(docker_cluster, "t_docker_output")
    assert done.returncode == 0, done.stdout + done.stderr
    logs = docker_cluster.cli("tasks", "logs", str(run_.id), "loud").stdout
    lines = set(logs.splitlines())
    assert all(f"out line {i}" in lines and f"err line {i}" in lines for i in range(2000))
    assert "chordflow-end-" not in logs and "Returned value was: loud" in logs


def test_docker_operator_env_volume_xcom_masking_and_failure(docker_cluster, engine):
    done, run_, tis = run(docker_cluster, "t_docker_operator")
    assert done.returncode == 1
    assert tis["write"].state == "success" and tis["fail"].state == "failed"
    out = docker_cluster.tmp / "out" / "greeting.txt"
    assert out.read_text().startswith("hello from ")
    logs = docker_cluster.cli("tasks", "logs", str(run_.id), "write").stdout
    assert "token=***" in logs and "tok-very-secret-42" not in logs
    handle = docker_cluster.cluster()
    from cluster.store import xcoms as xcom_store
    xcom = xcom_store.pull_xcoms(handle.store, run_.id, ["write"], "return_value")
    handle.close()
    assert xcom["write"].startswith("done-")
    failed = docker_cluster.cli("tasks", "logs", str(run_.id), "fail").stdout
    assert "dying" in failed and "exit code 3" in failed
    assert leftovers(engine, run_.id) == []


def test_execution_timeout_stops_and_removes_the_container(docker_cluster, engine):
    done, run_, tis = run(docker_cluster, "t_docker_timeout")
    assert done.returncode == 1 and tis["sleepy"].state == "failed"
    logs = docker_cluster.cli("tasks", "logs", str(run_.id), "sleepy").stdout
    assert "sleeping" in logs and "execution_timeout of 3s exceeded" in logs
    assert leftovers(engine, run_.id) == []


def test_task_containers_are_confined(docker_cluster, engine):
    """No Docker socket, no privilege escalation, no capabilities, uid 1000, limits set."""
    assert docker_cluster.cli("trigger", "t_docker_slow").returncode == 0
    handle = docker_cluster.cluster()
    run_ = services.list_runs(handle, "t_docker_slow", limit=1)[0]
    container = wait_for(lambda: leftovers(engine, run_.id), 60, what="the task container")[0]
    container.reload()
    host, config = container.attrs["HostConfig"], container.attrs["Config"]
    mounts = container.attrs["Mounts"]
    assert "no-new-privileges" in host["SecurityOpt"] and host["CapDrop"] == ["ALL"]
    assert host["Privileged"] is False and config["User"] == "1000"
    assert host["Memory"] > 0 and host["NanoCpus"] > 0
    assert not [m for m in mounts if "docker.sock" in m.get("Source", "")], mounts
    # the DAGs folder, read-only, at the worker's own path (as Airflow has it everywhere)
    dags = [m for m in mounts if m.get("Destination") == docker_cluster.env["CHORDFLOW_DAGS_FOLDER"]]
    assert len(dags) == 1 and dags[0]["RW"] is False, mounts
    assert not [e for e in config["Env"] if "DATABASE_URL" in e or "BROKER_URL" in e]
    services.wait(handle, run_.id, timeout=180)
    handle.close()


def test_a_try_runs_in_a_warm_container_started_before_it(docker_cluster, engine):
    """CHORDFLOW_WARM_CONTAINERS (1 a worker process by default): the try's container was
    started before the try, is named after it once handed the try, and is removed after."""
    import datetime as dt

    assert docker_cluster.cli("trigger", "t_docker_slow").returncode == 0
    handle = docker_cluster.cluster()
    run_ = services.list_runs(handle, "t_docker_slow", limit=1)[0]
    container = wait_for(lambda: leftovers(engine, run_.id), 60, what="the task container")[0]
    _, tis = services.run_details(handle, run_.id)
    started = tis[0].start_date
    services.wait(handle, run_.id, timeout=180)
    handle.close()
    assert "chordflow.warm" in container.labels, container.labels
    created = dt.datetime.fromisoformat(container.attrs["Created"][:26].rstrip("Z") + "+00:00")
    assert created < started.replace(tzinfo=started.tzinfo or dt.timezone.utc)
    wait_for(lambda: container.id not in container_ids(engine), 30,
             what="the warm container to be removed")


def test_cancel_stops_and_removes_the_task_container(docker_cluster, engine):
    assert docker_cluster.cli("trigger", "t_docker_slow").returncode == 0
    handle = docker_cluster.cluster()
    run_ = services.list_runs(handle, "t_docker_slow", limit=1)[0]
    container = wait_for(lambda: leftovers(engine, run_.id), 60, what="the task container")[0]
    wait_for(lambda: "started" in "".join(t for _, t in services.task_logs(handle, run_.id, "slow")),
             30, what="the command to start")
    done = docker_cluster.cli("runs", "cancel", str(run_.id))
    assert done.returncode == 0 and "stopping slow" in done.stdout, done.stdout + done.stderr
    wait_for(lambda: container.id not in container_ids(engine), 30,
             what="the cancelled try's container to be removed")
    final, tis = services.run_details(handle, run_.id)
    log = "".join(t for _, t in services.task_logs(handle, run_.id, "slow"))
    handle.close()
    assert final.state == "failed" and tis[0].state == "failed"
    assert "finished" not in log and "TaskCancelled" in log


def test_orphan_container_of_a_killed_worker_is_removed(docker_cluster, engine):
    victim = docker_cluster.worker(concurrency=1, name="victim", CHORDFLOW_RUNNER="docker",
                                   CELERY_QUEUES="")
    # Only the victim consumes while the task starts: stop the module's worker first.
    for proc in docker_cluster.procs:
        if proc is not victim and "worker" in proc.log_path.name:
            proc.stop()
    assert docker_cluster.cli("trigger", "t_docker_slow").returncode == 0
    handle = docker_cluster.cluster()
    run_ = services.list_runs(handle, "t_docker_slow", limit=1)[0]
    container = wait_for(lambda: leftovers(engine, run_.id), 60, what="the task container")[0]
    victim.kill(signal.SIGKILL)
    docker_cluster.worker(concurrency=1, name="rescuer", CHORDFLOW_RUNNER="docker")
    final = services.wait(handle, run_.id, timeout=180)
    _, tis = services.run_details(handle, run_.id)
    log = "".join(text for _, text in services.task_logs(handle, run_.id, "slow"))
    handle.close()
    assert final.state == "success" and tis[0].try_number == 2, log
    wait_for(lambda: container.id not in container_ids(engine), 60,
             what="the orphaned container to be removed")


def test_dag_files_importing_docker_and_kubernetes_types_run_in_the_runtime_image(
        docker_cluster, engine):
    done, run_, tis = run(docker_cluster, "t_provider_objects")
    assert done.returncode == 0, done.stdout + done.stderr
    from cluster.store.xcoms import pull_xcoms

    handle = docker_cluster.cluster()
    try:
        pulled = pull_xcoms(handle.store, run_.id, ["describe"], "return_value")
    finally:
        handle.close()
    assert pulled == {"describe": "movielens:/data"}


def test_the_warm_pool_refills_at_a_lull_unless_it_is_empty(engine, monkeypatch):
    """The pool's engine work waits for a lull while containers are still waiting: taking
    one starts no replacement then, and a used one is not removed; an empty pool is
    refilled at once; at the lull both are done; closing removes every one of them."""
    import time
    import types
    import uuid

    from workers.runners import warm_pool
    from workers.task_api.grants import Grants

    monkeypatch.setattr(warm_pool, "LULL", 3600.0)  # no lull comes in this test by itself
    mark = {"chordflow.test": uuid.uuid4().hex}

    def create(environment, labels):
        return engine.containers.create(IMAGE, ["sleep", "300"], labels={**labels, **mark},
                                        environment=environment, detach=True)

    def started():
        return {c.id for c in engine.containers.list(all=True, filters={"label": [
            f"chordflow.test={mark['chordflow.test']}"]})}

    pool = warm_pool.WarmPool(create, types.SimpleNamespace(grants=Grants()),
                              lambda token, ahead: {"T": "x"}, {}, size=2)
    try:
        pool.fill()
        wait_for(lambda: len(pool._ready) == 2, 60, what="the pool to fill")
        assert len(started()) == 2
        first = pool.take()
        pool.discard(first.container)
        time.sleep(2)  # time enough for the housekeeping to act, were it not to wait
        assert len(started()) == 2 and first.container.id in started()  # no lull yet
        second = pool.take()  # the pool is empty now: refilled at once, one at a time
        wait_for(lambda: len(started()) == 3 and len(pool._ready) == 1, 60,
                 what="the empty pool's refill")
        assert first.container.id in started()
        monkeypatch.setattr(warm_pool, "LULL", 0.0)
        pool.fill()  # the lull: the used one removed, the pool back to its size
        wait_for(lambda: first.container.id not in started() and len(pool._ready) == 2, 60,
                 what="the housekeeping at the lull")
        pool.discard(second.container)
    finally:
        pool.close()
    wait_for(lambda: not started(), 60, what="every container of the pool removed")


def test_a_warm_container_has_loaded_its_tries_dag_file_before_the_try(docker_cluster):
    """The replacement started when `first` took the pool's container loads `first`'s
    DAG file while it waits: `second` (of the same file, on the same one-process worker)
    finds it loaded seconds before its try started, instead of loading it after."""
    docker_cluster.start("worker", "-c", "1", "-Q", "ahead", "-n", "ahead@%h",
                         marker="ready.", CHORDFLOW_RUNNER="docker")
    done, run_, tis = run(docker_cluster, "t_docker_ahead")
    assert done.returncode == 0 and run_.state == "success", done.stderr
    from cluster.store import xcoms as xcom_store

    handle = docker_cluster.cluster()
    try:
        second = xcom_store.pull_xcoms(handle.store, run_.id, ["second"], "return_value")["second"]
    finally:
        handle.close()
    assert second["try_started_at"] - second["loaded_at"] > 1.0, second
