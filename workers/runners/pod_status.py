"""What a task pod's status says: has it started, has it ended, how, and the errors of a pod.

Only exit code 0, on a pod Kubernetes neither evicted nor stopped at a deadline, is a
success; a container killed by a signal (143 SIGTERM, 137 SIGKILL, OOMKilled) never is.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from kubernetes.client import models as k8s

from cluster.errors import AirflowException

from workers.runners.pods import base_container_status

SIGNAL_EXITS = {137: "killed (SIGKILL)", 143: "terminated (SIGTERM)"}


class PodError(AirflowException):
    """A task pod could not run to its end."""


class PodStartupTimeout(PodError):
    """The pod was not running within its startup timeout."""


class PodTimeout(PodError):
    """The try outlived its execution_timeout; the pod was deleted."""


class PodCancelled(PodError):
    """The try ended elsewhere (marked failed, cleared, taken as lost); the pod was deleted."""


class PodGone(PodError):
    """The pod was deleted by someone else before it ended."""


class PodTerminated(BaseException):
    """This process got SIGTERM while a pod ran: delete the pod, then die as asked."""


@dataclasses.dataclass
class PodOutcome:
    """How a task pod ended, and the result a KubernetesPodOperator's pod printed."""

    name: str
    namespace: str
    phase: str | None = None
    exit_code: int | None = None
    reason: str | None = None          # the base container's terminated reason
    pod_reason: str | None = None      # the pod's reason (Evicted, DeadlineExceeded, ...)
    message: str | None = None
    result: Any = None
    has_result: bool = False
    last_line: str = ""
    ended: bool = False

    @property
    def succeeded(self) -> bool:
        # A pod-level reason (Evicted, DeadlineExceeded, Preempting, NodeLost, ...) means
        # Kubernetes itself stopped the pod: never a success, whatever the exit code says.
        return (self.ended and self.exit_code == 0 and self.reason in (None, "Completed")
                and self.phase != "Failed" and not self.pod_reason)

    def describe(self) -> str:
        """Why the pod failed, in the words a user searches for."""
        where = f"pod {self.namespace}/{self.name}"
        if self.pod_reason:
            text = f"{where} failed: {self.pod_reason}"
        elif self.exit_code is None:
            text = f"{where} ended without an exit code (phase {self.phase})"
        else:
            text = f"{where} failed: exit code {self.exit_code}"
            if self.exit_code in SIGNAL_EXITS:
                text += f", {SIGNAL_EXITS[self.exit_code]}"
            if self.reason and self.reason not in ("Error", "Completed"):
                text += f" ({self.reason})"
        return f"{text}: {self.message}" if self.message else text


def outcome_of(pod: k8s.V1Pod, outcome: PodOutcome) -> PodOutcome:
    """Fill `outcome` from the pod's final status."""
    status = pod.status or k8s.V1PodStatus()
    container = base_container_status(pod)
    ended = None
    if container is not None and container.state is not None:
        ended = container.state.terminated
    if ended is None and container is not None and container.last_state is not None:
        ended = container.last_state.terminated
    outcome.phase, outcome.pod_reason = status.phase, status.reason
    outcome.message = status.message or (ended.message if ended else None)
    if ended is not None:
        outcome.exit_code, outcome.reason = ended.exit_code, ended.reason
    outcome.ended = True
    return outcome


def started(pod: k8s.V1Pod) -> bool:
    phase = pod.status.phase if pod.status else None
    container = base_container_status(pod)
    state = container.state if container is not None else None
    return phase in ("Running", "Succeeded", "Failed") or bool(
        state is not None and (state.running or state.terminated))


def finished(pod: k8s.V1Pod) -> bool:
    phase = pod.status.phase if pod.status else None
    container = base_container_status(pod)
    state = container.state if container is not None else None
    return phase in ("Succeeded", "Failed") or bool(state is not None and state.terminated)


def waiting_reason(pod: k8s.V1Pod) -> str:
    """What a pod that has not started is waiting for, e.g. `ImagePullBackOff: ...`."""
    container = base_container_status(pod)
    waiting = container.state.waiting if container is not None and container.state else None
    if waiting is not None and waiting.reason:
        return f"{waiting.reason}: {waiting.message}" if waiting.message else waiting.reason
    status = pod.status
    for condition in (status.conditions if status else None) or []:
        if condition.status != "True" and condition.reason:
            return f"{condition.reason}: {condition.message}"
    return f"phase {status.phase if status else 'unknown'}"
