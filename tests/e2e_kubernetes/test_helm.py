"""The Helm chart installed on a real cluster: Ready, runs a DAG with tasks as pods, drains
workers on scale-down, and `helm uninstall` leaves nothing of the release behind.

The images come from this machine's engine (imagePullPolicy Never), the bundled Redis and
PostgreSQL are the stand-in images on hostPath volumes, and the DAG files a hostPath
volume written by the test. The test process reaches PostgreSQL and Redis by pod address
(no kube-proxy on the test cluster) and drives the installed cluster through the same
service functions as the CLI.
"""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

from tests.conftest import ROOT
from tests.servers import docker_client, missing

from .conftest import log_of, until

RELEASE = NAMESPACE = "chordflow"
CHART = ROOT / "helm" / "chordflow"
INSTANCE = f"app.kubernetes.io/instance={RELEASE}"
# A checkout testing its own images builds them with IMAGE_TAG=x bash images/build.sh.
TAG = os.environ.get("CHORDFLOW_TEST_IMAGE_TAG", "latest")
IMAGES = [f"chordflow/{name}:{TAG}"
          for name in ("cluster", "runtime", "redis-standin", "postgres-standin")]

DRAIN_DAG = '''
import datetime as dt
from cluster import DAG, BashOperator

with DAG("drain", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)):
    BashOperator(task_id="long", bash_command="echo started; sleep 25; echo finished")
'''


def helm_binary() -> str:
    for candidate in (os.environ.get("CHORDFLOW_HELM"), str(ROOT / ".cache/tools/helm/helm"),
                      shutil.which("helm")):
        if candidate and Path(candidate).is_file():
            return candidate
    missing("helm not found (bash .ci/helm.sh fetches it)")
    raise AssertionError


def helm(kube, *args: str, timeout: float = 600) -> str:
    done = subprocess.run([helm_binary(), *args, "--kubeconfig", kube.kubeconfig],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"helm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# What a release of the chart can leave in its namespace, listed through versions every
# cluster from 1.20 on serves; PodDisruptionBudgets by the first of theirs it serves.
RELEASE_KINDS = [
    ("v1", "Pod"), ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"),
    ("v1", "ServiceAccount"), ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"), ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    (("policy/v1", "policy/v1beta1"), "PodDisruptionBudget"),
]


def release_objects(kube) -> list[str]:
    """Every object of the release left in its namespace, as kind/name."""
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    resources = DynamicClient(kube.api_client).resources
    left = []
    for versions, kind in RELEASE_KINDS:
        for version in (versions,) if isinstance(versions, str) else versions:
            try:
                api = resources.get(api_version=version, kind=kind)
                break
            except ResourceNotFoundError:
                continue
        else:
            raise AssertionError(f"the cluster serves no {kind} in {versions}")
        for item in api.get(namespace=NAMESPACE, label_selector=INSTANCE).items:
            if not item.metadata.deletionTimestamp:
                left.append(f"{kind}/{item.metadata.name}")
    task_pods = kube.pods(NAMESPACE, "chordflow.io/run")
    return left + [f"Pod/{p.metadata.name}" for p in task_pods]


@pytest.fixture(scope="module")
def installed(kube, tmp_path_factory):
    """The release, Ready; yields a store handle on its database (by pod address)."""
    from kubernetes.client import models as k8s

    docker_client(IMAGES)
    kube.core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=NAMESPACE)))
    base = tmp_path_factory.mktemp("helm-volumes")
    dags = base / "dags"
    dags.mkdir()
    shutil.copy(ROOT / "dagdefs" / "example_etl.py", dags / "example_etl.py")
    (dags / "drain.py").write_text(DRAIN_DAG)
    for name, claim, size, mode in (
            ("dags", f"{RELEASE}-dags", "1Gi", "ReadWriteMany"),
            ("postgresql", f"data-{RELEASE}-postgresql-0", "8Gi", "ReadWriteOnce"),
            ("redis", f"data-{RELEASE}-redis-0", "2Gi", "ReadWriteOnce")):
        path = base / name
        path.mkdir(exist_ok=True)
        if name == "dags":
            path.chmod(0o755)
        else:  # hostPath volumes get no fsGroup: owned by the chart's uid 999
            os.chown(path, 999, 999)
        kube.core.create_persistent_volume(k8s.V1PersistentVolume(
            metadata=k8s.V1ObjectMeta(name=f"{NAMESPACE}-{name}",
                                      labels={"chordflow-e2e": NAMESPACE}),
            spec=k8s.V1PersistentVolumeSpec(
                capacity={"storage": size}, access_modes=[mode], storage_class_name="",
                persistent_volume_reclaim_policy="Retain",
                host_path=k8s.V1HostPathVolumeSource(path=str(path), type="Directory"),
                claim_ref=k8s.V1ObjectReference(namespace=NAMESPACE, name=claim))))
    api = urlsplit(kube.api_client.configuration.host)
    values = {
        "image": {"tag": TAG, "pullPolicy": "Never"},
        "runtimeImage": {"tag": TAG, "pullPolicy": "Never"},
        "dags": {"persistence": {"enabled": True, "accessModes": ["ReadWriteMany"]}},
        "flower": {"basicAuth": {"username": "admin", "password": "e2e-flower-password"}},
        "webserver": {"auth": {"username": "admin", "password": "e2e-web-password"}},
        "postgresql": {"image": {"repository": "chordflow/postgres-standin", "tag": TAG,
                                 "pullPolicy": "Never"}},
        "redis": {"image": {"repository": "chordflow/redis-standin", "tag": TAG,
                            "pullPolicy": "Never"}},
        "worker": {"replicas": 2, "podDisruptionBudget": {"enabled": True}},
        # No kube-proxy: the API server's Service address does not route; its own does.
        "config": {"extraEnv": {"KUBERNETES_SERVICE_HOST": api.hostname,
                                "KUBERNETES_SERVICE_PORT": str(api.port)}},
    }
    values_file = base / "values.yaml"
    values_file.write_text(yaml.safe_dump(values))
    try:
        helm(kube, "upgrade", "--install", RELEASE, str(CHART), "--namespace", NAMESPACE,
             "--create-namespace", "-f", str(values_file), "--wait", "--timeout", "8m")
        handle = open_store(kube)
        yield handle
        handle.close()
    finally:
        helm_uninstall(kube)
        kube.core.delete_namespace(NAMESPACE)
        for pv in kube.core.list_persistent_volume(
                label_selector=f"chordflow-e2e={NAMESPACE}").items:
            kube.core.delete_persistent_volume(pv.metadata.name)


def helm_uninstall(kube) -> None:
    done = subprocess.run([helm_binary(), "uninstall", RELEASE, "--namespace", NAMESPACE,
                           "--kubeconfig", kube.kubeconfig, "--wait"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode and "not found" not in done.stderr:
        raise AssertionError(done.stderr)


def open_store(kube):
    """The installed cluster's store and broker, their hosts swapped for the pods' addresses."""
    from cluster.config import Settings
    from cluster.control.services import Cluster

    secret = kube.core.read_namespaced_secret(RELEASE, NAMESPACE).data
    env = {}
    for key in ("CHORDFLOW_DATABASE_URL", "CHORDFLOW_BROKER_URL", "CHORDFLOW_RESULT_BACKEND",
                "CHORDFLOW_FERNET_KEY"):
        if key in secret:
            env[key] = base64.b64decode(secret[key]).decode()
    for key in ("CHORDFLOW_DATABASE_URL", "CHORDFLOW_BROKER_URL", "CHORDFLOW_RESULT_BACKEND"):
        if key in env:
            env[key] = by_pod_address(kube, env[key])
    return Cluster.open(Settings.from_env(env))


def by_pod_address(kube, url: str) -> str:
    parts = urlsplit(url)
    service = parts.hostname.split(".")[0]
    pod = kube.pods(NAMESPACE, f"statefulset.kubernetes.io/pod-name={service}-0")[0]
    netloc = parts.netloc.rsplit("@", 1)
    host = f"{pod.status.pod_ip}:{parts.port}" if parts.port else pod.status.pod_ip
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return urlunsplit(parts._replace(netloc=netloc))


def test_chart_uses_the_api_versions_the_cluster_serves(kube, installed):
    from kubernetes import client

    manifest = list(yaml.safe_load_all(helm(kube, "get", "manifest", RELEASE,
                                            "--namespace", NAMESPACE)))
    versions = {d["kind"]: d["apiVersion"] for d in manifest if d}
    minor = int(client.VersionApi(kube.api_client).get_code().minor.rstrip("+"))
    assert versions["PodDisruptionBudget"] == ("policy/v1" if minor >= 21 else "policy/v1beta1")
    assert versions["HorizontalPodAutoscaler"] == (
        "autoscaling/v2" if minor >= 23 else "autoscaling/v2beta2")


def test_components_are_ready(kube, installed):
    for name in (f"{RELEASE}-scheduler", f"{RELEASE}-dag-processor", f"{RELEASE}-worker",
                 f"{RELEASE}-flower", f"{RELEASE}-webserver"):
        status = kube.apps.read_namespaced_deployment(name, NAMESPACE).status
        assert status.ready_replicas and status.ready_replicas == status.replicas, name
    for name in (f"{RELEASE}-postgresql", f"{RELEASE}-redis"):
        assert kube.apps.read_namespaced_stateful_set(name, NAMESPACE).status.ready_replicas == 1


def test_dag_runs_with_tasks_as_pods(kube, installed):
    from cluster.control import services

    seen: set[str] = set()
    stop = threading.Event()

    def watch_pods() -> None:  # the task pods are short-lived: note each one seen
        while not stop.is_set():
            seen.update(p.metadata.name for p in kube.pods(NAMESPACE, "chordflow.io/run"))
            stop.wait(0.2)

    watcher = threading.Thread(target=watch_pods, daemon=True)
    watcher.start()
    run = services.trigger(installed, "example_etl")
    final = services.wait(installed, run.id, timeout=300)
    stop.set()
    watcher.join()
    _, tis = services.run_details(installed, run.id)
    logs = {t.task_id: "".join(x for _, x in services.task_logs(installed, run.id, t.task_id))
            for t in tis}
    assert final.state == "success", logs
    assert "extracted 400 orders" in logs["extract"]
    assert seen, "no task pod was seen"
    until(lambda: not kube.pods(NAMESPACE, "chordflow.io/run"), 60, "the task pods to go")


def test_worker_scale_down_drains_the_running_task(kube, installed):
    from cluster.control import services

    run = services.trigger(installed, "drain")
    until(lambda: "started" in log_of(installed, run.id, "long"), 180, "the long task")
    kube.apps.patch_namespaced_deployment_scale(
        f"{RELEASE}-worker", NAMESPACE, {"spec": {"replicas": 0}})
    final = services.wait(installed, run.id, timeout=180)
    text = log_of(installed, run.id, "long")
    assert final.state == "success", text
    assert "finished" in text
    _, tis = services.run_details(installed, run.id)
    assert tis[0].try_number == 1  # finished by the draining worker, not retried
    until(lambda: not kube.pods(NAMESPACE, f"app.kubernetes.io/component=worker"), 120,
          "the worker pods to exit")


def test_uninstall_leaves_nothing_behind(kube, installed):
    helm_uninstall(kube)
    until(lambda: not release_objects(kube), 120, "the release's objects to go")
    # Data is kept on purpose: the StatefulSets' claims (Kubernetes keeps them, as for
    # every chart) and the DAG files' claim (helm.sh/resource-policy: keep) are all
    # that is left; deleting them is the operator's choice.
    claims = [c.metadata.name for c in
              kube.core.list_namespaced_persistent_volume_claim(NAMESPACE).items]
    assert sorted(claims) == sorted([f"data-{RELEASE}-postgresql-0", f"data-{RELEASE}-redis-0",
                                     f"{RELEASE}-dags"])
