"""Task pods as the pod runner reads them back; how they are built is cluster/sdk/pod_spec.py
(re-exported here for the runner's modules)."""
from __future__ import annotations

from kubernetes.client import models as k8s

from cluster.sdk.pod_spec import (  # noqa: F401  (re-exported)
    BASE_CONTAINER, CLUSTER_LABEL, DAG_ANNOTATION, DOMAIN, MAP_INDEX_LABEL, ON_FINISH_ANNOTATION,
    RUN_ID_ANNOTATION, RUN_LABEL, TASK_ANNOTATION, TRY_LABEL, XCOM_DIR, XCOM_FILE, XCOM_VOLUME,
    XCOM_WRAPPER, OnFinishAction, PodIdentity, PodRequest, build_pod, key_of, label_value,
    load_pod_template, pod_name, to_dict, to_model)


def base_container_status(pod: k8s.V1Pod) -> k8s.V1ContainerStatus | None:
    for status in (pod.status.container_statuses if pod.status else None) or []:
        if status.name == BASE_CONTAINER:
            return status
    return None
