"""The movielens pipeline as pods, on a real Kubernetes cluster (KUBECONFIG must name one).

Embedded chordflow (SQLite, in-process worker) runs dagdefs/movielens_kubernetes.py for
three logical dates; each task is a KubernetesPodOperator pod in a throwaway namespace
that also holds the movielens API (Deployment + Service), its credentials (Secret) and
the shared `data-volume` claim. The images must already be in the cluster (see README.md).
"""
from __future__ import annotations

import datetime as dt
import os
import time
import uuid

import pytest

from tests.conftest import ROOT

KUBECONFIG = os.environ.get("KUBECONFIG", "")
if not KUBECONFIG:
    pytest.skip("no Kubernetes cluster: set KUBECONFIG to run the end-to-end pod tests "
                "(CI has no cluster, so they skip there as well)", allow_module_level=True)

k8s_client = pytest.importorskip("kubernetes.client")
k8s = k8s_client.models
PASSWORD = "ml-pass-" + uuid.uuid4().hex[:8]
DAYS = ["2019-01-01", "2019-01-02", "2019-01-03"]
PULL = os.environ.get("MOVIELENS_IMAGE_PULL_POLICY", "IfNotPresent")


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


@pytest.fixture(scope="module")
def namespace():
    from kubernetes import config

    api_client = config.new_client_from_config(config_file=KUBECONFIG,
                                               context=os.environ.get("KUBE_CONTEXT") or None)
    core, apps = k8s_client.CoreV1Api(api_client), k8s_client.AppsV1Api(api_client)
    name = os.environ.get("CHORDFLOW_E2E_NAMESPACE") or f"cf-e2e-{uuid.uuid4().hex[:6]}"
    owned = not os.environ.get("CHORDFLOW_E2E_NAMESPACE")
    if owned:
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    labels = {"app": "movielens-api"}
    core.create_namespaced_secret(name, k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name="movielens-api"),
        string_data={"user": "airflow", "password": PASSWORD}))
    core.create_namespaced_persistent_volume_claim(name, k8s.V1PersistentVolumeClaim(
        metadata=k8s.V1ObjectMeta(name="data-volume"),
        spec=k8s.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=k8s.V1VolumeResourceRequirements(requests={"storage": "1Gi"}))))
    secret_env = [k8s.V1EnvVar(name=var, value_from=k8s.V1EnvVarSource(
        secret_key_ref=k8s.V1SecretKeySelector(name="movielens-api", key=key)))
        for var, key in (("API_USER", "user"), ("API_PASSWORD", "password"))]
    apps.create_namespaced_deployment(name, k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name="movielens-api"),
        spec=k8s.V1DeploymentSpec(
            replicas=1, selector=k8s.V1LabelSelector(match_labels=labels),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels=labels),
                spec=k8s.V1PodSpec(containers=[k8s.V1Container(
                    name="api", image="chordflow/movielens-api:latest", image_pull_policy=PULL,
                    env=secret_env, ports=[k8s.V1ContainerPort(container_port=5000)])])))))
    core.create_namespaced_service(name, k8s.V1Service(
        metadata=k8s.V1ObjectMeta(name="movielens-api"),
        spec=k8s.V1ServiceSpec(selector=labels, ports=[k8s.V1ServicePort(port=5000)])))
    _until(lambda: (apps.read_namespaced_deployment(
        "movielens-api", name).status.available_replicas or 0) >= 1, 300, "movielens-api")
    yield name, core
    if owned:
        core.delete_namespace(name)
    else:
        for delete in (lambda: core.delete_namespaced_service("movielens-api", name),
                       lambda: apps.delete_namespaced_deployment("movielens-api", name),
                       lambda: core.delete_namespaced_persistent_volume_claim("data-volume", name),
                       lambda: core.delete_namespaced_secret("movielens-api", name)):
            delete()


def test_movielens_pipeline_runs_as_pods_for_three_days(namespace, tmp_path, monkeypatch):
    from cluster import services
    from cluster.config import Settings

    ns, core = namespace
    for key, value in {
        "CHORDFLOW_HOME": str(tmp_path), "CHORDFLOW_DAGS_FOLDER": str(ROOT / "dagdefs"),
        "CHORDFLOW_RUNNER": "process", "CHORDFLOW_KUBERNETES_IN_CLUSTER": "false",
        "CHORDFLOW_KUBERNETES_CONFIG_FILE": KUBECONFIG,
        "CHORDFLOW_KUBERNETES_CLUSTER_CONTEXT": os.environ.get("KUBE_CONTEXT", ""),
        "CHORDFLOW_KUBERNETES_NAMESPACE": ns, "MOVIELENS_NAMESPACE": ns,
    }.items():
        monkeypatch.setenv(key, value)
    cluster = services.Cluster.open(Settings.from_env())
    for day in DAYS:
        when = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)
        run = services.trigger(cluster, "movielens_kubernetes", logical_date=when)
        final = services.wait(cluster, run.id, timeout=900)
        _, tis = services.run_details(cluster, run.id)
        logs = {t.task_id: "".join(x for _, x in services.task_logs(cluster, run.id, t.task_id))
                for t in tis}
        assert final.state == "success", logs
        assert "fetched " in logs["fetch_ratings"] and f"{day}.json" in logs["fetch_ratings"]
        assert "ranked " in logs["rank_movies"] and f"{day}.csv" in logs["rank_movies"]
        assert PASSWORD not in "".join(logs.values())
    left = core.list_namespaced_pod(ns, label_selector="kubernetes_pod_operator=True").items
    assert [p.metadata.name for p in left if not p.metadata.deletion_timestamp] == []
