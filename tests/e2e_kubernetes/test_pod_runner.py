"""Every Python and Bash task as a pod (CHORDFLOW_RUNNER=kubernetes) on a real cluster.

A real scheduler and real workers (PostgreSQL, Redis) run tests/dags/kube_pods.py; the
workers start each try as a pod of the runtime image (imagePullPolicy Never: the kubelet
shares this machine's Docker engine) with the DAG files from a read-only claim bound to a
hostPath volume on tests/dags. The workers reach the API server through a relay the
tests can cut, so a dropped log stream is a real one.
"""
from __future__ import annotations

import signal

import pytest

from cluster.control import services
from cluster.store import xcoms as xcom_store
from tests.conftest import RUNTIME_IMAGE, TEST_DAGS
from tests.servers import docker_client

from .conftest import log_of, until
from .proxy import proxied_kubeconfig

RUN_LABEL = "chordflow.io/run"


@pytest.fixture(scope="module")
def pods(kube, namespace, cluster_env):
    """(cluster_env with a scheduler and a pod-runner worker, its store handle, the relay)."""
    docker_client([RUNTIME_IMAGE])
    kube.hostpath_volume(f"{namespace}-dags", namespace, "dags", TEST_DAGS, read_only=True)
    config, proxy = proxied_kubeconfig(kube.kubeconfig, cluster_env.tmp / "proxied.kubeconfig")
    cluster_env.env.update({
        "CHORDFLOW_RUNNER": "kubernetes", "CHORDFLOW_KUBERNETES_IN_CLUSTER": "false",
        "CHORDFLOW_KUBERNETES_CONFIG_FILE": str(config),
        "CHORDFLOW_KUBERNETES_CLUSTER_CONTEXT": "",
        "CHORDFLOW_KUBERNETES_NAMESPACE": namespace,
        "CHORDFLOW_KUBERNETES_DAGS_CLAIM": "dags",
        "CHORDFLOW_RUNTIME_IMAGE_PULL_POLICY": "Never",
    })
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    handle = cluster_env.cluster()
    yield cluster_env, handle, proxy
    handle.close()
    proxy.close()


def run_to_end(handle, dag_id: str, timeout: float = 240):
    run = services.trigger(handle, dag_id)
    final = services.wait(handle, run.id, timeout=timeout)
    _, tis = services.run_details(handle, run.id)
    return final, {t.task_id: t for t in tis}


def run_pods(kube, namespace: str, run_pk: int) -> list:
    return kube.pods(namespace, f"{RUN_LABEL}={run_pk}")


def no_pods_left(kube, namespace: str, run_pk: int) -> None:
    """The run's pods and payload Secrets are gone (deletion may take the grace period)."""
    until(lambda: not kube.core.list_namespaced_pod(
        namespace, label_selector=f"{RUN_LABEL}={run_pk}").items, 90, "the run's pods to go")
    assert kube.core.list_namespaced_secret(
        namespace, label_selector=f"{RUN_LABEL}={run_pk}").items == []


def running_pod(kube, namespace: str, handle, run_pk: int, task_id: str, marker: str):
    """The run's pod once it runs and its log shows `marker` (the try has really started)."""
    until(lambda: marker in log_of(handle, run_pk, task_id), 180, f"{marker!r} in the log")
    return until(lambda: run_pods(kube, namespace, run_pk), 30, "the task pod")[0]


def test_variables_and_connections_reach_a_task_pod_through_the_task_api(kube, namespace, pods):
    env, handle, _ = pods
    password, token = "kube-pw-5e1d07", "kube-token-9a6c44"
    for args in (("variables", "set", "kube_token", token),
                 ("variables", "set", "kube_plain", "plainval"),
                 ("connections", "add", "kube_db", "--conn-uri",
                  f"postgres://usr:{password}@dbhost:5433/appdb")):
        done = env.cli(*args)
        assert done.returncode == 0, done.stderr
    final, tis = run_to_end(handle, "t_kube_secrets")
    log = log_of(handle, final.id, "use_secrets")
    assert final.state == "success", log
    assert xcom_store.pull_xcoms(handle.store, final.id, ["use_secrets"], "return_value") == {
        "use_secrets": {"host": "dbhost", "port": 5433, "schema": "appdb", "plain": "plainval",
                        "missing": "dflt", "database_url_in_env": False}}
    assert env.cli("variables", "get", "kube_written").stdout.strip() == "use_secrets:1"
    assert "host=dbhost login=usr password=*** token=***" in log, log
    assert password not in log and token not in log


def test_xcom_flows_between_task_pods(kube, namespace, pods):
    env, handle, _ = pods
    final, tis = run_to_end(handle, "t_kube_xcom")
    assert final.state == "success", {t: log_of(handle, final.id, t) for t in tis}
    assert xcom_store.pull_xcoms(handle.store, final.id, ["double"], "return_value") == {
        "double": 42}
    double = log_of(handle, final.id, "double")
    assert "doubling 21 from uid 1000 on " in double
    import socket
    assert f"on {socket.gethostname()}\n" not in double  # ran in a pod, not in the worker
    assert "total=42" in log_of(handle, final.id, "show")
    no_pods_left(kube, namespace, final.id)


def test_failing_task_fails_and_a_retry_is_a_new_pod(kube, namespace, pods):
    env, handle, _ = pods
    final, tis = run_to_end(handle, "t_kube_retry")
    assert final.state == "failed"
    assert tis["flaky"].state == "success" and tis["flaky"].try_number == 2
    assert "try 1 fails on purpose" in log_of(handle, final.id, "flaky", 1)
    assert "try 2 succeeds" in log_of(handle, final.id, "flaky", 2)
    assert tis["broken"].state == "failed"
    assert "broken on purpose" in log_of(handle, final.id, "broken")
    assert tis["after_broken"].state == "upstream_failed"
    no_pods_left(kube, namespace, final.id)


def test_execution_timeout_deletes_the_pod(kube, namespace, pods):
    env, handle, _ = pods
    final, tis = run_to_end(handle, "t_kube_timeout")
    assert final.state == "failed" and tis["sleepy"].state == "failed"
    text = log_of(handle, final.id, "sleepy")
    assert "sleeping" in text and "execution_timeout" in text
    no_pods_left(kube, namespace, final.id)


def test_cancel_deletes_the_running_pod(kube, namespace, pods):
    env, handle, _ = pods
    run = services.trigger(handle, "t_kube_slow")
    running_pod(kube, namespace, handle, run.id, "slow", "started")
    services.cancel_run(handle, run.id)
    assert services.wait(handle, run.id, timeout=60).state == "failed"
    no_pods_left(kube, namespace, run.id)
    assert "finished" not in log_of(handle, run.id, "slow")


def test_mark_failed_deletes_the_running_pod(kube, namespace, pods):
    env, handle, _ = pods
    run = services.trigger(handle, "t_kube_slow")
    running_pod(kube, namespace, handle, run.id, "slow", "started")
    services.mark_task(handle, run.id, "slow", "failed")
    assert services.wait(handle, run.id, timeout=60).state == "failed"
    no_pods_left(kube, namespace, run.id)


def test_a_pod_deleted_by_hand_fails_the_try(kube, namespace, pods):
    """As an eviction would: the pod goes while the task runs; the try must not succeed."""
    env, handle, _ = pods
    run = services.trigger(handle, "t_kube_slow")
    pod = running_pod(kube, namespace, handle, run.id, "slow", "started")
    kube.core.delete_namespaced_pod(pod.metadata.name, namespace)
    final = services.wait(handle, run.id, timeout=120)
    _, tis = services.run_details(handle, run.id)
    assert final.state == "failed" and tis[0].state == "failed"
    text = log_of(handle, run.id, "slow")
    assert "finished" not in text
    # the pod's end is named: its deletion, its exit code, or the SIGTERM it got
    assert "deleted" in text or "exit code" in text or "SIGTERM" in text, text
    no_pods_left(kube, namespace, run.id)


def test_log_stream_survives_dropped_connections(kube, namespace, pods):
    env, handle, proxy = pods
    run = services.trigger(handle, "t_kube_lines")
    until(lambda: "line-5\n" in log_of(handle, run.id, "count"), 180, "the first lines")
    cuts = 0
    for seen in ("line-20\n", "line-35\n"):
        until(lambda: seen in log_of(handle, run.id, "count"), 60, seen.strip())
        cuts += proxy.cut()
    assert cuts >= 2  # the log stream (and the watch) really were open, and cut
    final = services.wait(handle, run.id, timeout=120)
    text = log_of(handle, run.id, "count")
    assert final.state == "success", text
    lines = [line for line in text.splitlines() if line.startswith("line-")]
    assert lines == [f"line-{i}" for i in range(1, 61)]  # every line once, in order
    no_pods_left(kube, namespace, run.id)


def test_sigkilled_workers_pod_is_swept(kube, namespace, pods):
    """The worker dies with its pod running: the try is taken as lost and a surviving
    worker's sweep deletes the orphaned pod."""
    env, handle, _ = pods
    victim = env.procs[-1]
    run = services.trigger(handle, "t_kube_slow")
    running_pod(kube, namespace, handle, run.id, "slow", "started")
    victim.kill(signal.SIGKILL)
    env.worker(concurrency=2)
    final = services.wait(handle, run.id, timeout=120)
    assert final.state == "failed"
    no_pods_left(kube, namespace, run.id)
