"""Runners: where a task try executes (this process, a container, a pod)."""
from __future__ import annotations

import logging

from cluster.sdk import launchers
from cluster.config import Settings
from cluster.errors import ConfigError

from workers.runners.base import Runner

log = logging.getLogger("chordflow.worker")

# Operators that run their own container or pod are launched by these, in the worker
# (imported on first use: the docker and kubernetes clients are optional).
launchers.register("docker", "workers.runners.docker_operator")
launchers.register("kubernetes", "workers.runners.pod_operator")
# TriggerDagRunOperator and ExternalTaskSensor act on other DAGs through the metastore
launchers.register("cross_dag", "cluster.control.cross_dag")


def runner_name(settings: Settings) -> str:
    """The runner the settings choose; `auto` prefers containers when Docker answers."""
    if settings.runner == "auto":
        return "docker" if _docker_ready(settings) else "process"
    return settings.runner


def get_runner(settings: Settings) -> Runner:
    """The runner the settings choose (see `runner_name`)."""
    name = runner_name(settings)
    if name == "process":
        from workers.runners.process import ProcessRunner

        return ProcessRunner()
    if name == "docker":
        try:
            from workers.runners.docker import DockerRunner
        except ImportError as exc:
            raise ConfigError(f"the docker runner is not available: {exc}") from None
        return DockerRunner(settings)
    if name == "kubernetes":
        try:
            from workers.runners.kubernetes import KubernetesRunner
        except ImportError as exc:
            raise ConfigError(f"the kubernetes runner is not available: {exc}") from None
        return KubernetesRunner(settings)
    raise ConfigError(f"unknown runner {name!r}")


def _docker_ready(settings: Settings) -> bool:
    try:
        from workers.runners.docker import docker_ready
    except ImportError:
        return False
    try:
        return bool(docker_ready(settings))
    except Exception:
        return False


__all__ = ["Runner", "get_runner", "runner_name"]
