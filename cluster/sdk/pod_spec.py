"""Task pods as pure functions: identity labels, names, the XCom wrapper, the V1Pod.

What KubernetesPodOperator describes (a task's own image) and what the pod runner asks
for (Python and Bash tasks in the runtime image) become a V1Pod here. Nothing here talks
to an API server, so every rule about what a task pod looks like is testable offline;
launching and watching pods is the worker's (workers/runners/).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import types
import uuid
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client import models as k8s

from cluster.sdk.operators.kubernetes import RESULT_MARK, OnFinishAction

BASE_CONTAINER = "base"
XCOM_DIR = "/airflow/xcom"
XCOM_FILE = f"{XCOM_DIR}/return.json"
XCOM_VOLUME = "xcom"

DOMAIN = "chordflow.io"
CLUSTER_LABEL = f"{DOMAIN}/cluster"      # which installation made the pod (sweeps keep to theirs)
RUN_LABEL = f"{DOMAIN}/run"              # the run's primary key: present on every task pod
TRY_LABEL = f"{DOMAIN}/try"
MAP_INDEX_LABEL = f"{DOMAIN}/map-index"
# Label values are limited to 63 safe characters; the exact ids go in annotations.
TASK_ANNOTATION = f"{DOMAIN}/task-id"
DAG_ANNOTATION = f"{DOMAIN}/dag-id"
RUN_ID_ANNOTATION = f"{DOMAIN}/run-id"
ON_FINISH_ANNOTATION = f"{DOMAIN}/on-finish-action"

# Runs the user's command, then prints /airflow/xcom/return.json on a marked last line.
# No sidecar: nothing is left waiting when the main container ends. Kubernetes expands
# $(VAR) in command and args before the shell sees them, so the script avoids "$(".
XCOM_WRAPPER = (
    '"$@"\n'
    "status=$?\n"
    f"if [ $status -eq 0 ] && [ -f {XCOM_FILE} ]; then\n"
    f"  printf '\\n%s' '{RESULT_MARK}'\n"
    f"  tr -d '\\n\\r' < {XCOM_FILE}\n"
    "  printf '\\n'\n"
    "fi\n"
    "exit $status\n"
)


@dataclasses.dataclass(frozen=True)
class PodIdentity:
    """The task try a pod belongs to, and the installation that made it."""

    dag_id: str
    run_pk: int
    run_id: str
    task_id: str
    try_number: int
    map_index: int = -1
    cluster: str = ""

    @classmethod
    def from_context(cls, context: dict[str, Any], cluster: str = "") -> "PodIdentity":
        ti = context["ti"]
        return cls(dag_id=str(ti.dag_id), run_pk=int(ti.run_pk), run_id=str(ti.run_id),
                   task_id=str(ti.task_id), try_number=int(ti.try_number),
                   map_index=int(getattr(ti, "map_index", -1)), cluster=cluster)

    @property
    def key(self) -> tuple[int, str, int, int]:
        """(run_pk, task_id, map_index, try_number): how the store names this try."""
        return (self.run_pk, self.task_id, self.map_index, self.try_number)

    def labels(self) -> dict[str, str]:
        """Airflow's pod labels (dag_id, task_id, run_id, try_number) plus chordflow's own."""
        labels = {
            "dag_id": label_value(self.dag_id), "task_id": label_value(self.task_id),
            "run_id": label_value(self.run_id), "try_number": str(self.try_number),
            RUN_LABEL: str(self.run_pk), TRY_LABEL: str(self.try_number),
        }
        if self.map_index >= 0:  # "-1" is no valid label value; absent means unmapped
            labels["map_index"] = labels[MAP_INDEX_LABEL] = str(self.map_index)
        if self.cluster:
            labels[CLUSTER_LABEL] = label_value(self.cluster)
        return labels

    def annotations(self) -> dict[str, str]:
        return {DAG_ANNOTATION: self.dag_id, TASK_ANNOTATION: self.task_id,
                RUN_ID_ANNOTATION: self.run_id}


def key_of(pod: k8s.V1Pod) -> tuple[int, str, int, int] | None:
    """The try a pod belongs to, read back from its labels and annotations (None: not ours)."""
    meta = pod.metadata
    labels, notes = meta.labels or {}, meta.annotations or {}
    try:
        return (int(labels[RUN_LABEL]), notes[TASK_ANNOTATION],
                int(labels.get(MAP_INDEX_LABEL, "-1")), int(labels[TRY_LABEL]))
    except (KeyError, ValueError):
        return None


_LABEL_OK = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def label_value(text: str) -> str:
    """A valid label value for `text`: itself when it is one, else a cleaned, hashed form.

    Two different ids never map to the same value (a hash of the original is appended
    whenever anything had to change).
    """
    text = str(text)
    if len(text) <= 63 and _LABEL_OK.match(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:54].strip("-_.")
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else digest


def pod_name(base: str, suffix: str | None = None, random_suffix: bool = True) -> str:
    """A DNS-1123 pod name from `base` (a task id, an operator's `name`), at most 63 long."""
    name = re.sub(r"[^a-z0-9.-]", "-", base.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-.") or "task"
    if not random_suffix:
        return name[:63].rstrip("-.")
    suffix = suffix or uuid.uuid4().hex[:8]
    return f"{name[:63 - len(suffix) - 1].rstrip('-.')}-{suffix}"


@dataclasses.dataclass
class PodRequest:
    """Everything that shapes a task pod, in Kubernetes' own model objects.

    Parameters:
      image / cmds / arguments: the base container; empty cmds keep the image's entrypoint.
      do_xcom_push: wrap the command so /airflow/xcom/return.json comes back (needs cmds).
      template: a pod (pod_template_file, full_pod_spec) the other fields are merged into;
        lists are appended, mappings merged, single values replaced when given.
      on_finish_action: recorded on the pod so a sweep honours it too.
    """

    image: str | None = None
    cmds: list[str] = dataclasses.field(default_factory=list)
    arguments: list[str] = dataclasses.field(default_factory=list)
    name: str | None = None
    namespace: str = "default"
    env: list[k8s.V1EnvVar] = dataclasses.field(default_factory=list)
    env_from: list[k8s.V1EnvFromSource] = dataclasses.field(default_factory=list)
    volumes: list[k8s.V1Volume] = dataclasses.field(default_factory=list)
    volume_mounts: list[k8s.V1VolumeMount] = dataclasses.field(default_factory=list)
    resources: k8s.V1ResourceRequirements | None = None
    image_pull_policy: str | None = None
    image_pull_secrets: list[k8s.V1LocalObjectReference] = dataclasses.field(default_factory=list)
    ports: list[k8s.V1ContainerPort] = dataclasses.field(default_factory=list)
    node_selector: dict[str, str] = dataclasses.field(default_factory=dict)
    tolerations: list[k8s.V1Toleration] = dataclasses.field(default_factory=list)
    affinity: k8s.V1Affinity | None = None
    service_account_name: str | None = None
    automount_service_account_token: bool | None = None
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    annotations: dict[str, str] = dataclasses.field(default_factory=dict)
    security_context: k8s.V1PodSecurityContext | None = None
    container_security_context: k8s.V1SecurityContext | None = None
    init_containers: list[k8s.V1Container] = dataclasses.field(default_factory=list)
    host_network: bool | None = None
    dns_policy: str | None = None
    hostname: str | None = None
    priority_class_name: str | None = None
    scheduler_name: str | None = None
    termination_grace_period: int | None = None
    active_deadline_seconds: int | None = None
    working_dir: str | None = None
    do_xcom_push: bool = False
    random_name_suffix: bool = True
    on_finish_action: OnFinishAction = OnFinishAction.DELETE_POD
    template: k8s.V1Pod | None = None


def build_pod(request: PodRequest, identity: PodIdentity, suffix: str | None = None) -> k8s.V1Pod:
    """The V1Pod for one try of a task (pure: same inputs, same pod, given `suffix`)."""
    pod = copy.deepcopy(request.template) if request.template is not None else k8s.V1Pod()
    pod.api_version, pod.kind = "v1", "Pod"
    meta = pod.metadata or k8s.V1ObjectMeta()
    spec = pod.spec or k8s.V1PodSpec(containers=[])
    base = _base_container(spec)

    base_name = request.name or meta.name or f"{identity.dag_id}-{identity.task_id}"
    meta.name = pod_name(base_name, suffix, request.random_name_suffix)
    meta.generate_name = None
    meta.namespace = request.namespace
    meta.labels = {**(meta.labels or {}), **_strings(request.labels), **identity.labels()}
    meta.annotations = {**(meta.annotations or {}), **_strings(request.annotations),
                        **identity.annotations(),
                        ON_FINISH_ANNOTATION: OnFinishAction(request.on_finish_action).value}

    base.image = request.image or base.image
    if not base.image:
        raise ValueError(f"task {identity.task_id!r}: no image for the pod")
    cmds = [str(c) for c in request.cmds] or list(base.command or [])
    arguments = [str(a) for a in request.arguments] if request.arguments else list(base.args or [])
    if request.do_xcom_push:
        if not cmds:
            raise ValueError(
                f"task {identity.task_id!r}: do_xcom_push needs cmds (the image's entrypoint "
                f"cannot be wrapped to return {XCOM_FILE})")
        base.command = ["/bin/sh", "-c", XCOM_WRAPPER, "xcom-wrapper"]
        base.args = cmds + arguments
        request_volumes = [*request.volumes, k8s.V1Volume(
            name=XCOM_VOLUME, empty_dir=k8s.V1EmptyDirVolumeSource())]
        request_mounts = [*request.volume_mounts, k8s.V1VolumeMount(
            name=XCOM_VOLUME, mount_path=XCOM_DIR)]
    else:
        base.command, base.args = cmds or None, arguments or None
        request_volumes, request_mounts = list(request.volumes), list(request.volume_mounts)
    base.env = _joined(base.env, request.env)
    base.env_from = _joined(base.env_from, request.env_from)
    base.volume_mounts = _joined(base.volume_mounts, request_mounts)
    base.ports = _joined(base.ports, request.ports)
    base.image_pull_policy = request.image_pull_policy or base.image_pull_policy
    base.resources = request.resources or base.resources
    base.security_context = request.container_security_context or base.security_context
    base.working_dir = request.working_dir or base.working_dir

    # A retry is a new try and a new pod: the kubelet never restarts a task container.
    spec.restart_policy = "Never"
    spec.volumes = _joined(spec.volumes, request_volumes)
    spec.init_containers = _joined(spec.init_containers, request.init_containers)
    spec.image_pull_secrets = _joined(spec.image_pull_secrets, request.image_pull_secrets)
    spec.tolerations = _joined(spec.tolerations, request.tolerations)
    spec.node_selector = {**(spec.node_selector or {}), **_strings(request.node_selector)} or None
    for field in ("affinity", "service_account_name", "automount_service_account_token",
                  "security_context", "host_network", "dns_policy", "hostname",
                  "priority_class_name", "scheduler_name", "active_deadline_seconds"):
        value = getattr(request, field)
        if value is not None:
            setattr(spec, field, value)
    if request.termination_grace_period is not None:
        spec.termination_grace_period_seconds = request.termination_grace_period
    pod.metadata, pod.spec = meta, spec
    return pod


def _base_container(spec: k8s.V1PodSpec) -> k8s.V1Container:
    """The container the task runs in: `base` (Airflow's name), else a template's first."""
    for container in spec.containers or []:
        if container.name == BASE_CONTAINER:
            return container
    if spec.containers:
        spec.containers[0].name = BASE_CONTAINER
        return spec.containers[0]
    container = k8s.V1Container(name=BASE_CONTAINER)
    spec.containers = [container]
    return container


def _joined(existing: list[Any] | None, more: list[Any]) -> list[Any] | None:
    out = list(existing or []) + list(more or [])
    return out or None


def _strings(mapping: dict[Any, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (mapping or {}).items()}


def to_model(data: dict[str, Any], kind: str = "V1Pod") -> Any:
    """A kubernetes client model from its JSON/YAML dict (camelCase keys, as in manifests)."""
    client, text = ApiClient(), json.dumps(data)
    try:
        return client.deserialize(text, kind, "application/json")
    except TypeError:  # clients before the pydantic models take a response object
        return client.deserialize(types.SimpleNamespace(data=text), kind)


def to_dict(model: Any) -> dict[str, Any]:
    """A model as the API server receives it (camelCase, no empty fields)."""
    return ApiClient().sanitize_for_serialization(model)


def load_pod_template(path: str | Path) -> k8s.V1Pod:
    """A pod from a YAML or JSON manifest (Airflow's `pod_template_file`)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    if not isinstance(data, dict) or data.get("kind", "Pod") != "Pod":
        raise ValueError(f"{path}: a pod template must be one manifest of kind Pod")
    return to_model(data)
