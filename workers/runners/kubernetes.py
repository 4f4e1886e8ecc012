"""The pod runner: each Python or Bash task try runs as its own pod of the runtime image.

The pod runs `python -m workers.container_entry` and reaches the worker's task API over
TCP at the worker pod's address (workers/task_api/); its spec carries that address and
the try's token only: no conf, XComs or secrets, nothing anyone allowed to read pods
could use after the try (the token is revoked when the try ends).
DAG files are baked into the runtime image, or come from a read-only volume claim
(CHORDFLOW_KUBERNETES_DAGS_CLAIM). Operators that start their own pod
(KubernetesPodOperator) run in the worker process and start it themselves.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

from kubernetes.client import models as k8s

from cluster.config import Settings
from cluster.errors import ConfigError
from cluster.sdk.pod_spec import (CLUSTER_LABEL, ON_FINISH_ANNOTATION, RUN_LABEL, OnFinishAction,
                              PodIdentity, PodRequest, build_pod, key_of)

from workers.containers import cluster_label
from workers.task_api.protocol import ADDRESS_ENV, TOKEN_ENV
from workers.task_api.tries import conclude, granted
from workers.runners.docker import DAGS_MOUNT

from workers.runners.pod_launcher import PodLauncher, delete_pod
from workers.runners.pod_status import PodError, PodOutcome
from workers.runners.process import InWorkerRunner

log = logging.getLogger("chordflow.worker")
ENTRY_COMMAND = ["python", "-m", "workers.container_entry"]
DAGS_VOLUME = "dags"
# Kubernetes may stop a pod that outlives its try: the try's timeout plus this much.
DEADLINE_SLACK = 300


class PodFailed(PodError):
    """The task pod ended with a failure (exit code, eviction, a signal, a deadline)."""


def core_api(in_cluster: bool | None = None, config_file: str | None = None,
             cluster_context: str | None = None) -> Any:
    """A CoreV1Api: the pod's service account in a cluster, else a kubeconfig file."""
    from kubernetes import client, config

    if in_cluster is None:  # a named kubeconfig or context means that one
        in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not (
            config_file or cluster_context)
    if in_cluster:
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.CoreV1Api(client.ApiClient(configuration))
    api_client = config.new_client_from_config(config_file=config_file or None,
                                               context=cluster_context or None)
    return client.CoreV1Api(api_client)


def settings_api(settings: Settings) -> Any:
    """The API the settings point at; a missing or broken configuration is a ConfigError."""
    try:
        return core_api(settings.kubernetes_in_cluster, settings.kubernetes_config_file,
                        settings.kubernetes_cluster_context)
    except Exception as exc:  # kubernetes.config.ConfigException, a missing file, ...
        raise ConfigError(
            f"cannot configure the Kubernetes client: {exc} (set CHORDFLOW_KUBERNETES_IN_CLUSTER"
            f", CHORDFLOW_KUBERNETES_CONFIG_FILE or CHORDFLOW_KUBERNETES_CLUSTER_CONTEXT)"
        ) from None


def run_task_pod(api: Any, pod: k8s.V1Pod, context: dict[str, Any], log_writer: Any, *,
                 startup_timeout: float, timeout: float | None, get_logs: bool = True,
                 read_result: bool = True,
                 on_finish_action: OnFinishAction | str = OnFinishAction.DELETE_POD,
                 log_events_on_failure: bool = True) -> PodOutcome:
    """Run one try's pod; the try is cancelled when the store says it ended elsewhere."""
    identity = PodIdentity.from_context(context)
    launcher = PodLauncher(api, log_writer, should_stop=_try_ended(identity))
    return launcher.run(pod, startup_timeout=startup_timeout, timeout=timeout,
                        get_logs=get_logs, read_result=read_result,
                        on_finish_action=on_finish_action,
                        log_events_on_failure=log_events_on_failure)


def installation() -> str:
    """This installation's label value: sweeps only touch pods carrying it."""
    from workers.runtime import runtime

    return cluster_label(str(runtime().store.url))


def _try_ended(identity: PodIdentity) -> Any:
    def check() -> str | None:
        from cluster.store import pods as pod_store

        from workers.runtime import runtime

        try:
            if identity.key in pod_store.ended_tries(runtime().store, [identity.key]):
                return (f"try {identity.try_number} of {identity.dag_id}.{identity.task_id} "
                        f"ended elsewhere (marked, cleared or taken as lost)")
        except Exception:  # the database may be restarting: keep running, ask again later
            log.warning("could not check the state of %s", identity, exc_info=True)
        return None

    return check


class KubernetesRunner:
    """Runs each try as a pod of `settings.runtime_image`; see the module docstring."""

    name = "kubernetes"
    isolated = True

    def __init__(self, settings: Settings, api: Any = None) -> None:
        self.settings = settings
        self.api = api if api is not None else settings_api(settings)
        self._in_worker = InWorkerRunner()

    def execute(self, operator: Any, context: dict[str, Any], log_writer: Any,
                timeout: float | None) -> Any:
        if getattr(operator, "runs_own_container", False):
            return self._in_worker.execute(operator, context, log_writer, timeout)
        from workers.runtime import runtime

        api = runtime().task_api
        address = api.tcp_address(advertised=facing_address(self.api))
        identity = PodIdentity.from_context(context, cluster=installation())
        with granted(api, self.settings.dags_folder, context, timeout) as grant:
            pod = with_task_api(build_pod(task_pod_request(self.settings, timeout), identity),
                                address, grant.token)
            outcome = run_task_pod(self.api, pod, context, log_writer,
                                   startup_timeout=self.settings.kubernetes_startup_timeout,
                                   timeout=timeout, read_result=False)
            if not outcome.succeeded and grant.signal is None:
                raise PodFailed(outcome.describe())
            return conclude(grant, 0 if outcome.succeeded else 1, "task pod")


def facing_address(api: Any) -> str | None:
    """The address a task pod reaches this worker at when it runs outside the cluster (no
    POD_IP): this machine's own address on the route to the API server, unless that is a
    loopback one. None: the task API's default (POD_IP, or the hostname's address)."""
    if os.environ.get("POD_IP"):
        return None
    try:
        host = urlsplit(api.api_client.configuration.host).hostname
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 443))  # a datagram socket: only picks the route, sends nothing
            address = probe.getsockname()[0]
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    return None if address.startswith("127.") else address


def task_pod_request(settings: Settings, timeout: float | None) -> PodRequest:
    """The runtime-image pod of a Python or Bash task: unprivileged, no API token, limited.

    The task API address and token are added to the built pod by `with_task_api`.
    """
    volumes, mounts = [], []
    if settings.kubernetes_dags_claim:
        volumes.append(k8s.V1Volume(name=DAGS_VOLUME, persistent_volume_claim=(
            k8s.V1PersistentVolumeClaimVolumeSource(
                claim_name=settings.kubernetes_dags_claim, read_only=True))))
        mounts.append(k8s.V1VolumeMount(name=DAGS_VOLUME, mount_path=DAGS_MOUNT, read_only=True))
    limits = {"memory": memory_quantity(os.environ.get("CHORDFLOW_TASK_MEMORY", "2g")),
              "cpu": os.environ.get("CHORDFLOW_TASK_CPUS", "1")}
    return PodRequest(
        image=settings.runtime_image, cmds=list(ENTRY_COMMAND),
        namespace=settings.kubernetes_namespace,
        image_pull_policy=settings.runtime_image_pull_policy,
        env=[k8s.V1EnvVar(name="CHORDFLOW_DAGS_FOLDER", value=DAGS_MOUNT)],
        volumes=volumes, volume_mounts=mounts,
        resources=k8s.V1ResourceRequirements(limits=limits, requests=dict(limits)),
        # Their own ServiceAccount (the Helm chart's, with no RoleBinding) and no token.
        service_account_name=os.environ.get("CHORDFLOW_KUBERNETES_TASK_SERVICE_ACCOUNT") or None,
        automount_service_account_token=False,
        # fs_group: the kubelet mounts volumes as root; only with the pod's group on them
        # can uid 1000 read them.
        security_context=k8s.V1PodSecurityContext(
            run_as_user=1000, run_as_group=1000, run_as_non_root=True, fs_group=1000,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault")),
        container_security_context=k8s.V1SecurityContext(
            allow_privilege_escalation=False, capabilities=k8s.V1Capabilities(drop=["ALL"])),
        active_deadline_seconds=int(timeout + settings.kubernetes_startup_timeout
                                    + DEADLINE_SLACK) if timeout else None,
        on_finish_action=OnFinishAction.DELETE_POD,
    )


def with_task_api(pod: k8s.V1Pod, address: str, token: str) -> k8s.V1Pod:
    """Give the base container the task API's address and the try's token: the only
    chordflow values in the pod spec (no conf, XComs or secrets). No service links: in
    the Helm chart's namespace they would add a CHORDFLOW_<SERVICE>_PORT=tcp://... for
    each of the release's Services."""
    pod.spec.enable_service_links = False
    base = pod.spec.containers[0]
    base.env = [e for e in (base.env or []) if e.name not in (ADDRESS_ENV, TOKEN_ENV)] + [
        k8s.V1EnvVar(name=ADDRESS_ENV, value=address), k8s.V1EnvVar(name=TOKEN_ENV, value=token)]
    return pod


def memory_quantity(docker_style: str) -> str:
    """`2g` (Docker's units, powers of 1024) -> `2Gi`; Kubernetes quantities pass through."""
    text = docker_style.strip()
    units = {"k": "Ki", "m": "Mi", "g": "Gi", "t": "Ti"}
    if text[-1:].lower() in units and text[:-1].replace(".", "", 1).isdigit():
        return text[:-1] + units[text[-1].lower()]
    if text.lower().endswith("b") and text[-2:-1].lower() in units:
        return text[:-2] + units[text[-2].lower()]
    return text


def sweep_orphan_pods(api: Any, namespace: str, store: Any) -> list[str]:
    """Delete this installation's task pods whose try is over; returns their names.

    A pod still running for a try that is over has no worker left (killed, lost): it
    goes. A pod that ended by itself goes too, unless its recorded `on_finish_action`
    keeps it (keep_pod; delete_succeeded_pod keeps failed ones).
    """
    from cluster.store import pods as pod_store

    mine = f"{RUN_LABEL},{CLUSTER_LABEL}={cluster_label(str(store.url))}"
    pods = api.list_namespaced_pod(namespace, label_selector=mine).items or []
    keys = {p.metadata.name: key_of(p) for p in pods}
    ended = pod_store.ended_tries(store, {k for k in keys.values() if k is not None})
    removed = []
    for pod in pods:
        if keys[pod.metadata.name] not in ended:
            continue
        phase = pod.status.phase if pod.status else None
        if phase in ("Succeeded", "Failed"):
            action = _recorded_action(pod)
            if not action.deletes(phase == "Succeeded"):
                continue
        if delete_pod(api, pod.metadata.name, namespace):
            removed.append(pod.metadata.name)
    return removed


def _recorded_action(pod: k8s.V1Pod) -> OnFinishAction:
    text = (pod.metadata.annotations or {}).get(ON_FINISH_ANNOTATION, "delete_pod")
    try:
        return OnFinishAction(text)
    except ValueError:
        return OnFinishAction.DELETE_POD


def sweep_namespaces(settings: Settings) -> list[str]:
    """The task namespace, then CHORDFLOW_KUBERNETES_SWEEP_NAMESPACES, each once."""
    return list(dict.fromkeys((settings.kubernetes_namespace,
                               *settings.kubernetes_sweep_namespaces)))


def sweep_orphan_pods_in(api: Any, namespaces: list[str], store: Any) -> list[str]:
    """Sweep each namespace; one that fails (no rights, API down) does not stop the rest."""
    removed = []
    for namespace in namespaces:
        try:
            for name in sweep_orphan_pods(api, namespace, store):
                log.warning("deleted orphaned task pod %s/%s", namespace, name)
                removed.append(f"{namespace}/{name}")
        except Exception:
            log.warning("orphan pod sweep of namespace %s failed", namespace, exc_info=True)
    return removed


def sweep_orphan_pods_forever(settings: Settings) -> None:
    """In the worker's main process: every half zombie threshold, sweep the task namespace
    and CHORDFLOW_KUBERNETES_SWEEP_NAMESPACES (one namespace failing does not stop the rest)."""
    from cluster.store import Store

    store = Store(settings.database_url, pool_size=1)
    api = settings_api(settings)
    interval = max(settings.zombie_threshold / 2, 2.0)

    namespaces = sweep_namespaces(settings)

    def loop() -> None:
        while True:
            sweep_orphan_pods_in(api, namespaces, store)
            threading.Event().wait(interval)

    threading.Thread(target=loop, name="chordflow-orphan-pod-sweep", daemon=True).start()
