"""Fixtures of the end-to-end suite on a real Kubernetes cluster (the one KUBECONFIG names).

Every test here is marked `kubernetes`; the main suite leaves them out (setup.cfg) and
`-m kubernetes` runs them alone. They need KUBECONFIG to name a cluster (`bash .ci/kube.sh
up` makes one on a machine like CI's and prints its kubeconfig): without one, or with a
cluster that is unreachable or has no Ready node, they skip, saying so, and fail with
CI=true (.ci/run gives them the cluster of .ci/kube.sh).
"""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.servers import missing

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == HERE:
            item.add_marker(pytest.mark.kubernetes)


def until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Wait for `check()` to return something true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


def log_of(handle: Any, run_pk: int, task_id: str, try_number: int | None = None) -> str:
    """The task's log so far ("" before the scheduler made the run's task instances)."""
    from cluster.control import services
    from cluster.errors import NotFoundError

    try:
        return "".join(text for _, text in services.task_logs(handle, run_pk, task_id,
                                                                try_number))
    except NotFoundError:
        return ""


class Kube:
    """Clients of the test cluster: core, apps, the API client and the kubeconfig's path."""

    def __init__(self, kubeconfig: str, context: str | None) -> None:
        from kubernetes import client, config

        self.kubeconfig, self.context = kubeconfig, context
        self.api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)

    def pods(self, namespace: str, selector: str = "") -> list[Any]:
        """The pods of `namespace` (matching `selector`) that are not being deleted."""
        items = self.core.list_namespaced_pod(namespace, label_selector=selector).items
        return [p for p in items if not p.metadata.deletion_timestamp]

    def hostpath_volume(self, name: str, namespace: str, claim: str, path: Path,
                        read_only: bool = False) -> None:
        """A PersistentVolume on `path` of this machine, bound to a new claim `claim`."""
        from kubernetes.client import models as k8s

        if not read_only:  # the pods' users (uid 1000, root, ...) all write there
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o777)
        mode = "ReadOnlyMany" if read_only else "ReadWriteOnce"
        self.core.create_persistent_volume(k8s.V1PersistentVolume(
            metadata=k8s.V1ObjectMeta(name=name, labels={"chordflow-e2e": namespace}),
            spec=k8s.V1PersistentVolumeSpec(
                capacity={"storage": "1Gi"}, access_modes=[mode], storage_class_name="",
                persistent_volume_reclaim_policy="Retain",
                host_path=k8s.V1HostPathVolumeSource(path=str(path), type="Directory"),
                claim_ref=k8s.V1ObjectReference(namespace=namespace, name=claim))))
        self.core.create_namespaced_persistent_volume_claim(namespace, k8s.V1PersistentVolumeClaim(
            metadata=k8s.V1ObjectMeta(name=claim),
            spec=k8s.V1PersistentVolumeClaimSpec(
                access_modes=[mode], storage_class_name="", volume_name=name,
                resources=k8s.V1VolumeResourceRequirements(requests={"storage": "1Gi"}))))
        until(lambda: self.core.read_namespaced_persistent_volume_claim(
            claim, namespace).status.phase == "Bound", 60, f"claim {claim} to be bound")


@pytest.fixture(scope="session")
def kube() -> Kube:
    kubeconfig = os.environ.get("KUBECONFIG", "")
    if not kubeconfig:
        missing("the Kubernetes end-to-end suite needs a cluster: KUBECONFIG=$(bash "
                ".ci/kube.sh up) python -m pytest -n 0 -m kubernetes tests/e2e_kubernetes")
    if not Path(kubeconfig).is_file():
        missing(f"KUBECONFIG={kubeconfig} is not a file")
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        missing("the kubernetes Python client is not installed")
    cluster = Kube(kubeconfig, os.environ.get("KUBE_CONTEXT") or None)
    try:
        nodes = cluster.core.list_node(_request_timeout=10).items
    except Exception as exc:
        missing(f"the Kubernetes cluster of {kubeconfig} is unreachable: {exc}")
    ready = [n for n in nodes for c in n.status.conditions or []
             if c.type == "Ready" and c.status == "True"]
    if not ready:
        missing(f"the Kubernetes cluster of {kubeconfig} has no Ready node")
    return cluster


@pytest.fixture(scope="module")
def namespace(kube: Kube):
    """A throwaway namespace (and its hostPath volumes), deleted with what is in it."""
    from kubernetes.client import models as k8s

    name = f"cf-e2e-{uuid.uuid4().hex[:6]}"
    kube.core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    until(lambda: any(sa.metadata.name == "default" for sa in
                      kube.core.list_namespaced_service_account(name).items),
          60, f"the default service account of {name}")
    yield name
    kube.core.delete_namespace(name)
    for pv in kube.core.list_persistent_volume(label_selector=f"chordflow-e2e={name}").items:
        kube.core.delete_persistent_volume(pv.metadata.name)
