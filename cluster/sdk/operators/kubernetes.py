"""KubernetesPodOperator and Secret: a task as a pod of its own image (Airflow's arguments).

The official `kubernetes` client is imported only when a pod is built, so DAG files that
do not use pods load without it. The pod itself is built by a pure function of the
operator's arguments and the try's identity (`KubernetesPodOperator.build_pod`).
"""
from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, Any, Sequence

from cluster.errors import AirflowException, UnsupportedFeatureError
from cluster.sdk.launchers import launcher
from cluster.sdk.operators.base import BaseOperator

if TYPE_CHECKING:
    from kubernetes.client import models as k8s

    from cluster.sdk.pod_spec import PodIdentity, PodRequest

__all__ = ["KubernetesPodOperator", "OnFinishAction", "Secret"]



class OnFinishAction(str, enum.Enum):
    """What happens to a task pod that ended by itself (Airflow's names)."""

    DELETE_POD = "delete_pod"
    DELETE_SUCCEEDED_POD = "delete_succeeded_pod"
    KEEP_POD = "keep_pod"

    def deletes(self, succeeded: bool) -> bool:
        return self is OnFinishAction.DELETE_POD or (
            self is OnFinishAction.DELETE_SUCCEEDED_POD and succeeded)


ON_FINISH_ACTIONS = tuple(a.value for a in OnFinishAction)

# The last line the operator's pod prints (cluster/sdk/pod_spec.py's XCOM_WRAPPER): the pod's
# /airflow/xcom/return.json. Only a task's own pod says this; runtime-image tries report
# through the task API.
RESULT_MARK = "::chordflow-result:: "


class Secret:
    """A Kubernetes Secret given to the pod (Airflow's `Secret`).

    Parameters:
      deploy_type: "env" (one key as a variable, or with neither target nor key the whole
        secret as variables) or "volume" (files under `deploy_target`).
      deploy_target: the variable name (upper-cased, as Airflow does) or the mount path.
      secret: the Secret's name. key: one key of it. items: V1KeyToPath for volumes.
    """

    def __init__(self, deploy_type: str, deploy_target: str | None, secret: str,
                 key: str | None = None, items: list[Any] | None = None) -> None:
        if deploy_type not in ("env", "volume"):
            raise AirflowException(f"Secret {secret!r}: deploy_type must be env or volume")
        if deploy_type == "volume" and not deploy_target:
            raise AirflowException(f"Secret {secret!r}: a volume needs deploy_target (a path)")
        if key is not None and deploy_target is None:
            raise AirflowException(f"Secret {secret!r}: if `key` is set, `deploy_target` "
                                   f"should not be None")
        self.deploy_type = deploy_type
        self.deploy_target = deploy_target.upper() if deploy_target and deploy_type == "env" \
            else deploy_target
        self.secret, self.key, self.items = secret, key, list(items or [])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"Secret({self.deploy_type}, {self.deploy_target}, {self.secret}, {self.key})"

    def attach(self, request: "PodRequest", index: int) -> None:
        """Add this secret to a pod request: a variable, all variables, or a volume."""
        from kubernetes.client import models as k8s

        if self.deploy_type == "env" and self.key is not None:
            request.env.append(k8s.V1EnvVar(name=self.deploy_target, value_from=k8s.V1EnvVarSource(
                secret_key_ref=k8s.V1SecretKeySelector(name=self.secret, key=self.key))))
        elif self.deploy_type == "env":
            request.env_from.append(k8s.V1EnvFromSource(
                secret_ref=k8s.V1SecretEnvSource(name=self.secret)))
        else:
            name = f"secretvol{index}"
            request.volumes.append(k8s.V1Volume(name=name, secret=k8s.V1SecretVolumeSource(
                secret_name=self.secret, items=self.items or None)))
            request.volume_mounts.append(k8s.V1VolumeMount(
                name=name, mount_path=self.deploy_target, read_only=True))


class KubernetesPodOperator(BaseOperator):
    """Runs `cmds` + `arguments` in a pod of `image`; the log streams into the task log.

    Parameters:
      image / cmds / arguments (templated): the base container; empty cmds keep the
        image's entrypoint. `$(VAR)` in them is expanded by Kubernetes from the env.
      namespace / name (templated): where and under what name (plus a random suffix).
      in_cluster / config_file / cluster_context: how to reach the API server (default:
        the worker's service account in a cluster, else the kubeconfig).
      env_vars (dict, or list of V1EnvVar) / env_from / secrets (Secret) / volumes /
        volume_mounts / container_resources / ports / image_pull_policy / image_pull_secrets
        / node_selector / tolerations / affinity / service_account_name / labels /
        annotations / security_context / container_security_context / init_containers.
      pod_template_file / full_pod_spec: a base pod the arguments are merged into.
      on_finish_action: delete_pod (default), delete_succeeded_pod or keep_pod;
        is_delete_operator_pod (older name) True/False means delete_pod/keep_pod.
      get_logs: stream the container's output. do_xcom_push: return the JSON the command
        wrote to /airflow/xcom/return.json (no sidecar; needs `cmds` and /bin/sh).
      startup_timeout_seconds: longest wait for the pod to start (120).
      skip_on_exit_code: exit codes that mark the task skipped.
    """

    template_fields: Sequence[str] = (
        "image", "cmds", "arguments", "env_vars", "labels", "annotations", "namespace", "name",
        "config_file", "cluster_context", "pod_template_file", "node_selector",
    )
    ui_color = "#d3e9f7"
    runs_own_container = True

    def __init__(
        self, *, image: str | None = None, cmds: list[str] | None = None,
        arguments: list[str] | None = None, namespace: str | None = None,
        name: str | None = None, random_name_suffix: bool = True,
        kubernetes_conn_id: str | None = "kubernetes_default",
        in_cluster: bool | None = None, cluster_context: str | None = None,
        config_file: str | None = None,
        env_vars: dict[str, str] | list[Any] | None = None, env_from: list[Any] | None = None,
        secrets: list[Secret] | None = None, pod_runtime_info_envs: list[Any] | None = None,
        volumes: list[Any] | None = None, volume_mounts: list[Any] | None = None,
        ports: list[Any] | None = None, container_resources: Any = None,
        image_pull_policy: str | None = None, image_pull_secrets: Any = None,
        node_selector: dict[str, str] | None = None, tolerations: list[Any] | None = None,
        affinity: Any = None, service_account_name: str | None = None,
        automount_service_account_token: bool | None = None,
        labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
        security_context: Any = None, container_security_context: Any = None,
        init_containers: list[Any] | None = None, hostnetwork: bool = False,
        dnspolicy: str | None = None, hostname: str | None = None,
        schedulername: str | None = None, priority_class_name: str | None = None,
        termination_grace_period: int | None = None, active_deadline_seconds: int | None = None,
        pod_template_file: str | None = None, full_pod_spec: Any = None,
        startup_timeout_seconds: int = 120, get_logs: bool = True,
        log_events_on_failure: bool = False, do_xcom_push: bool = False,
        is_delete_operator_pod: bool | None = None, on_finish_action: str = "delete_pod",
        skip_on_exit_code: int | Sequence[int] | None = None,
        base_container_name: str | None = None, deferrable: bool = False,
        reattach_on_restart: bool | None = None, poll_interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        task_id = kwargs.get("task_id")
        if deferrable:
            raise UnsupportedFeatureError(
                f"KubernetesPodOperator({task_id!r}): deferrable=True is not supported by "
                f"chordflow (the worker waits on a watch, which costs no polling)")
        if reattach_on_restart:
            raise UnsupportedFeatureError(
                f"KubernetesPodOperator({task_id!r}): reattach_on_restart=True is not "
                "supported by chordflow: a try whose worker died is over, its pod is deleted "
                "and the next try starts a new one (reattach_on_restart=False)")
        if poll_interval is not None:
            raise UnsupportedFeatureError(
                f"KubernetesPodOperator({task_id!r}): poll_interval is not supported by "
                "chordflow: Airflow uses it in deferrable mode only, and chordflow's worker "
                "waits on a watch of the pod instead of polling")
        if base_container_name not in (None, "base"):
            raise UnsupportedFeatureError(
                f"KubernetesPodOperator({task_id!r}): base_container_name must be 'base'")
        if kubernetes_conn_id not in (None, "kubernetes_default"):
            raise UnsupportedFeatureError(
                f"KubernetesPodOperator({task_id!r}): connection {kubernetes_conn_id!r}: "
                f"chordflow reaches Kubernetes through in_cluster / config_file / "
                f"cluster_context (or CHORDFLOW_KUBERNETES_*), not connections")
        if is_delete_operator_pod is not None:
            on_finish_action = "delete_pod" if is_delete_operator_pod else "keep_pod"
        on_finish_action = str(getattr(on_finish_action, "value", on_finish_action))
        if on_finish_action not in ON_FINISH_ACTIONS:
            raise AirflowException(f"KubernetesPodOperator({task_id!r}): on_finish_action "
                                   f"must be one of {', '.join(ON_FINISH_ACTIONS)}")
        super().__init__(do_xcom_push=do_xcom_push, **kwargs)
        self.image, self.cmds, self.arguments = image, list(cmds or []), list(arguments or [])
        self.namespace, self.name, self.random_name_suffix = namespace, name, random_name_suffix
        self.in_cluster, self.cluster_context, self.config_file = (
            in_cluster, cluster_context, config_file)
        self.env_vars = _env_vars(env_vars)
        self.env_from, self.secrets = list(env_from or []), list(secrets or [])
        self.pod_runtime_info_envs = list(pod_runtime_info_envs or [])
        self.volumes, self.volume_mounts = list(volumes or []), list(volume_mounts or [])
        self.ports, self.container_resources = list(ports or []), container_resources
        self.image_pull_policy = image_pull_policy
        if isinstance(image_pull_secrets, str):
            image_pull_secrets = [s.strip() for s in image_pull_secrets.split(",") if s.strip()]
        self.image_pull_secrets = list(image_pull_secrets or [])
        self.node_selector, self.tolerations = dict(node_selector or {}), list(tolerations or [])
        self.affinity, self.service_account_name = affinity, service_account_name
        self.automount_service_account_token = automount_service_account_token
        self.labels, self.annotations = dict(labels or {}), dict(annotations or {})
        self.security_context = security_context
        self.container_security_context = container_security_context
        self.init_containers = list(init_containers or [])
        self.hostnetwork, self.dnspolicy, self.hostname = hostnetwork, dnspolicy, hostname
        self.schedulername, self.priority_class_name = schedulername, priority_class_name
        self.termination_grace_period = termination_grace_period
        self.active_deadline_seconds = active_deadline_seconds
        self.pod_template_file, self.full_pod_spec = pod_template_file, full_pod_spec
        self.startup_timeout_seconds = startup_timeout_seconds
        self.get_logs, self.log_events_on_failure = get_logs, log_events_on_failure
        self.on_finish_action = on_finish_action
        self.is_delete_operator_pod = on_finish_action == "delete_pod"
        codes = [skip_on_exit_code] if isinstance(skip_on_exit_code, int) else skip_on_exit_code
        self.skip_on_exit_code = set(codes or [])
        self.reattach_on_restart = False  # see above: a new try gets a new pod

    # -- the pod (pure) -----------------------------------------------------------------
    def pod_request(self, namespace: str | None = None) -> "PodRequest":
        """The arguments as a PodRequest; `namespace` applies when neither the operator nor
        its pod template names one."""
        from kubernetes.client import models as k8s

        from cluster.sdk.pod_spec import PodRequest, load_pod_template

        template = _model(self.full_pod_spec, "V1Pod")
        if template is None and self.pod_template_file:
            template = load_pod_template(self._template_path())
        env = [k8s.V1EnvVar(name=str(k), value=str(v)) for k, v in self.env_vars.items()] \
            if isinstance(self.env_vars, dict) else list(self.env_vars)
        request = PodRequest(
            image=self.image, cmds=list(self.cmds), arguments=list(self.arguments),
            name=self.name or self.task_id,
            namespace=self.namespace or _template_namespace(template) or namespace or "default",
            env=env + list(self.pod_runtime_info_envs),
            env_from=[_model(e, "V1EnvFromSource") for e in self.env_from],
            volumes=[_model(v, "V1Volume") for v in self.volumes],
            volume_mounts=[_model(m, "V1VolumeMount") for m in self.volume_mounts],
            ports=[_model(p, "V1ContainerPort") for p in self.ports],
            resources=_model(self.container_resources, "V1ResourceRequirements"),
            image_pull_policy=self.image_pull_policy,
            image_pull_secrets=[k8s.V1LocalObjectReference(name=s) if isinstance(s, str)
                                else _model(s, "V1LocalObjectReference")
                                for s in self.image_pull_secrets],
            node_selector=dict(self.node_selector),
            tolerations=[_model(t, "V1Toleration") for t in self.tolerations],
            affinity=_model(self.affinity, "V1Affinity"),
            service_account_name=self.service_account_name,
            automount_service_account_token=self.automount_service_account_token,
            labels={**self.labels, "kubernetes_pod_operator": "True"},
            annotations=dict(self.annotations),
            security_context=_model(self.security_context, "V1PodSecurityContext"),
            container_security_context=_model(self.container_security_context,
                                              "V1SecurityContext"),
            init_containers=[_model(c, "V1Container") for c in self.init_containers],
            host_network=self.hostnetwork or None, dns_policy=self.dnspolicy,
            hostname=self.hostname, priority_class_name=self.priority_class_name,
            scheduler_name=self.schedulername,
            termination_grace_period=self.termination_grace_period,
            active_deadline_seconds=self.active_deadline_seconds,
            do_xcom_push=self.do_xcom_push, random_name_suffix=self.random_name_suffix,
            on_finish_action=OnFinishAction(self.on_finish_action), template=template,
        )
        for index, secret in enumerate(self.secrets):
            secret.attach(request, index)
        return request

    def build_pod(self, identity: "PodIdentity", namespace: str | None = None,
                  suffix: str | None = None) -> "k8s.V1Pod":
        """The V1Pod of one try: the arguments plus the try's labels (pure, given `suffix`)."""
        from cluster.sdk.pod_spec import build_pod

        return build_pod(self.pod_request(namespace), identity, suffix)

    def _template_path(self) -> str:
        path = str(self.pod_template_file)
        if not os.path.isabs(path) and self.dag is not None and self.dag.fileloc:
            path = os.path.join(os.path.dirname(self.dag.fileloc), path)
        return path

    # -- running it (on the worker: workers/runners/pod_operator.py) ---------------------
    def core_api(self) -> Any:
        """The CoreV1Api for this task: its own arguments, else the worker's settings."""
        return launcher("kubernetes").core_api(self)

    def execute(self, context: dict[str, Any]) -> Any:
        return launcher("kubernetes").launch(self, context)


def _env_vars(value: Any) -> Any:
    """A dict stays a dict (templated); plain V1EnvVars become one too, so they are templated
    as well; a list with `value_from` entries stays a list."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    items = list(value)
    if all(getattr(e, "value_from", None) is None and hasattr(e, "name") for e in items):
        return {e.name: e.value if e.value is not None else "" for e in items}
    return items


def _model(value: Any, kind: str) -> Any:
    """A client model as given, or one built from a manifest-style dict."""
    if value is None or not isinstance(value, dict):
        return value
    from cluster.sdk.pod_spec import to_model

    return to_model(value, kind)


def _template_namespace(template: Any) -> str | None:
    return template.metadata.namespace if template is not None and template.metadata else None
