"""Launching a KubernetesPodOperator's pod: the API client, the try's labels, the pod
watched to its end with its logs streamed and its XCom read back.

The operator (cluster/sdk/operators/kubernetes.py) only describes the pod.
"""
from __future__ import annotations

from typing import Any

from cluster.config import Settings
from cluster.errors import AirflowException, AirflowSkipException
from cluster.sdk.pod_spec import PodIdentity

from workers.logs import current_writer
from workers.runners.kubernetes import core_api as _core_api
from workers.runners.kubernetes import installation, run_task_pod


def core_api(operator: Any) -> Any:
    """The CoreV1Api for `operator`: its own arguments, else the worker's settings."""
    settings = Settings.from_env()
    return _core_api(
        operator.in_cluster if operator.in_cluster is not None else settings.kubernetes_in_cluster,
        operator.config_file or settings.kubernetes_config_file,
        operator.cluster_context or settings.kubernetes_cluster_context)


def launch(operator: Any, context: dict[str, Any]) -> Any:
    """Run `operator`'s pod to its end; its XCom value, or raise for its failure."""
    op = operator
    identity = PodIdentity.from_context(context, cluster=installation())
    pod = op.build_pod(identity, namespace=Settings.from_env().kubernetes_namespace)
    outcome = run_task_pod(
        op.core_api(), pod, context, current_writer(),
        startup_timeout=op.startup_timeout_seconds, timeout=op.execution_timeout,
        get_logs=op.get_logs, read_result=op.do_xcom_push,
        on_finish_action=op.on_finish_action,
        log_events_on_failure=op.log_events_on_failure)
    if outcome.ended and not outcome.pod_reason and outcome.exit_code in op.skip_on_exit_code:
        raise AirflowSkipException(f"pod exited with code {outcome.exit_code} "
                                   f"(skip_on_exit_code)")
    if not outcome.succeeded:
        raise AirflowException(outcome.describe())
    return outcome.result if op.do_xcom_push else None
