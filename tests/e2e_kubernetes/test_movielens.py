"""The movielens pipeline as pods, on a real Kubernetes cluster (KUBECONFIG names it).

Embedded chordflow (SQLite, in-process worker) runs dagdefs/movielens_kubernetes.py for
three logical dates; each task is a KubernetesPodOperator pod in a throwaway namespace
that also holds the movielens API (a Deployment), its credentials (a Secret) and the
`data-volume` claim, bound to a hostPath PersistentVolume on this machine so that the
results are checked on disk. The images come from the node's image store
(imagePullPolicy Never): with .ci/kube.sh the kubelet uses this machine's Docker engine.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import uuid

import pytest

from tests.conftest import ROOT

from .conftest import until

PASSWORD = "ml-pass-" + uuid.uuid4().hex[:8]
DAYS = ["2019-01-01", "2019-01-02", "2019-01-03"]
PULL = os.environ.get("MOVIELENS_IMAGE_PULL_POLICY", "Never")


@pytest.fixture(scope="module")
def movielens(kube, namespace, tmp_path_factory):
    """The API running in `namespace`; returns (its URL by pod address, the data directory)."""
    from kubernetes.client import models as k8s

    data = tmp_path_factory.mktemp("movielens-data")
    kube.hostpath_volume(f"{namespace}-data", namespace, "data-volume", data)
    labels = {"app": "movielens-api"}
    kube.core.create_namespaced_secret(namespace, k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(name="movielens-api"),
        string_data={"user": "airflow", "password": PASSWORD}))
    secret_env = [k8s.V1EnvVar(name=var, value_from=k8s.V1EnvVarSource(
        secret_key_ref=k8s.V1SecretKeySelector(name="movielens-api", key=key)))
        for var, key in (("API_USER", "user"), ("API_PASSWORD", "password"))]
    kube.apps.create_namespaced_deployment(namespace, k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name="movielens-api"),
        spec=k8s.V1DeploymentSpec(
            replicas=1, selector=k8s.V1LabelSelector(match_labels=labels),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels=labels),
                spec=k8s.V1PodSpec(containers=[k8s.V1Container(
                    name="api", image="chordflow/movielens-api:latest", image_pull_policy=PULL,
                    env=secret_env, ports=[k8s.V1ContainerPort(container_port=5000)],
                    readiness_probe=k8s.V1Probe(
                        http_get=k8s.V1HTTPGetAction(path="/health", port=5000),
                        period_seconds=1))])))))
    until(lambda: (kube.apps.read_namespaced_deployment(
        "movielens-api", namespace).status.available_replicas or 0) >= 1, 180, "movielens-api")
    # No kube-proxy or cluster DNS on the test cluster: the pods reach the API by address.
    pod_ip = kube.pods(namespace, "app=movielens-api")[0].status.pod_ip
    return f"http://{pod_ip}:5000", data


def test_movielens_pipeline_runs_as_pods_for_three_days(kube, namespace, movielens, tmp_path,
                                                          monkeypatch):
    from cluster.control import services
    from cluster.config import Settings

    api_url, data = movielens
    for key, value in {
        "CHORDFLOW_HOME": str(tmp_path), "CHORDFLOW_DAGS_FOLDER": str(ROOT / "dagdefs"),
        "CHORDFLOW_RUNNER": "process", "CHORDFLOW_KUBERNETES_IN_CLUSTER": "false",
        "CHORDFLOW_KUBERNETES_CONFIG_FILE": kube.kubeconfig,
        "CHORDFLOW_KUBERNETES_CLUSTER_CONTEXT": kube.context or "",
        "CHORDFLOW_KUBERNETES_NAMESPACE": namespace, "MOVIELENS_NAMESPACE": namespace,
        "MOVIELENS_API_URL": api_url, "MOVIELENS_IMAGE_PULL_POLICY": PULL,
    }.items():
        monkeypatch.setenv(key, value)
    cluster = services.Cluster.open(Settings.from_env())
    for day in DAYS:
        when = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)
        run = services.trigger(cluster, "movielens_kubernetes", logical_date=when)
        final = services.wait(cluster, run.id, timeout=600)
        _, tis = services.run_details(cluster, run.id)
        logs = {t.task_id: "".join(x for _, x in services.task_logs(cluster, run.id, t.task_id))
                for t in tis}
        assert final.state == "success", logs
        assert "fetched " in logs["fetch_ratings"] and f"{day}.json" in logs["fetch_ratings"]
        assert "ranked " in logs["rank_movies"] and f"{day}.csv" in logs["rank_movies"]
        assert PASSWORD not in "".join(logs.values())
    for day in DAYS:  # what the pods wrote, on the volume's directory of this machine
        ratings = json.loads((data / "ratings" / f"{day}.json").read_text())
        assert ratings, f"no ratings fetched for {day}"
        with open(data / "rankings" / f"{day}.csv", newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) > 1, f"no ranking for {day}: {rows}"
    assert sorted(p.name for p in (data / "rankings").iterdir()) == [f"{d}.csv" for d in DAYS]
    assert kube.pods(namespace, "kubernetes_pod_operator=True") == []
