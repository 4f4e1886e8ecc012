"""A stand-in for the few CoreV1Api calls the pod code makes, on a simulated clock.

No Kubernetes API server can run here. This class answers with the official client's
own model objects (V1Pod, V1PodList, CoreV1EventList, ApiException) and streams watch
events and logs as the API server does (JSON lines that the real `kubernetes.watch.Watch`
decodes; timestamped log lines over a response with `.stream()`), so the code under test
runs its real paths. Time is simulated: a watch with nothing to report, or a quiet log,
advances the clock by its timeout instead of sleeping.

Each created pod follows a `Script`: how long it stays pending, the lines it prints,
how it ends (exit code, container reason, eviction), and where its log stream drops.
With `Script(run=True)` the container's command really runs here, in a subprocess, with
the pod's environment and its volume mounts mapped to temporary directories.
"""
from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import weakref
from typing import Any, Iterator

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client import models as k8s
from kubernetes.client.rest import ApiException

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def wall(self) -> float:
        return EPOCH.timestamp() + self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def advance_to(self, t: float) -> None:
        self.t = max(self.t, t)


@dataclasses.dataclass
class Script:
    lines: list[str] = dataclasses.field(default_factory=list)
    exit_code: int | None = 0
    reason: str | None = None          # container terminated reason (default from the code)
    pod_reason: str | None = None      # Evicted, DeadlineExceeded
    pod_message: str | None = None
    pending: float | None = 1.0        # seconds before the container runs; None: never
    waiting_reason: str = "ContainerCreating"
    duration: float = 4.0
    drops: list[int] = dataclasses.field(default_factory=list)  # lines per connection, then drop
    events: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    run: bool = False                  # run the command here (a tiny kubelet)


class Response:
    """What `_preload_content=False` returns: an HTTP body read with `.stream()`."""

    status = 200

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.closed = False

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass


@dataclasses.dataclass
class _Pod:
    obj: k8s.V1Pod
    script: Script
    created: float
    lines: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    deleted: bool = False
    connections: int = 0
    fixed: bool = False  # a pod added as it is, whose status does not move

    @property
    def started(self) -> float | None:
        return None if self.script.pending is None else self.created + self.script.pending

    @property
    def finished(self) -> float | None:
        return None if self.started is None else self.started + self.script.duration


class FakeCoreV1Api:
    """CoreV1Api's create/read/list/watch/log/delete for pods, and events."""

    def __init__(self, clock: Clock | None = None, workdir: str | None = None) -> None:
        self.clock = clock or Clock()
        self.pods: dict[tuple[str, str], _Pod] = {}
        self.scripts: list[Script] = []
        self.created: list[k8s.V1Pod] = []
        self.deleted: list[str] = []
        self.log_requests: list[dict[str, Any]] = []
        self.workdir = workdir or tempfile.mkdtemp(prefix="cf-fake-kubelet-")
        if workdir is None:
            weakref.finalize(self, shutil.rmtree, self.workdir, True)
        self.mount_sources: dict[str, str] = {}  # volume name -> local directory
        self.secrets: dict[tuple[str, str], k8s.V1Secret] = {}
        self.deleted_secrets: list[str] = []
        self.created_secrets: list[k8s.V1Secret] = []
        self._serial = 0
        self.watches = 0

    # -- pods ---------------------------------------------------------------------------
    def create_namespaced_pod(self, namespace: str, body: k8s.V1Pod, **_: Any) -> k8s.V1Pod:
        assert isinstance(body, k8s.V1Pod), "the body must be a V1Pod"
        ApiClient().sanitize_for_serialization(body)  # what the real client sends
        key = (namespace, body.metadata.name)
        if key in self.pods and not self.pods[key].deleted:
            raise ApiException(status=409, reason="AlreadyExists")
        pod = copy.deepcopy(body)
        self._serial += 1
        pod.metadata.namespace = namespace
        pod.metadata.uid = f"uid-{self._serial}"
        pod.metadata.creation_timestamp = EPOCH + dt.timedelta(seconds=self.clock.t)
        script = self.scripts.pop(0) if self.scripts else Script()
        record = _Pod(pod, script, self.clock.t)
        if script.run:
            self._run_here(record)
        else:
            record.lines = self._spread(record, script.lines)
        self.pods[key] = record
        self.created.append(copy.deepcopy(body))
        return pod

    # -- secrets (create and delete only: what the runner's Role allows) -----------------
    def create_namespaced_secret(self, namespace: str, body: k8s.V1Secret, **_: Any) -> k8s.V1Secret:
        assert isinstance(body, k8s.V1Secret), "the body must be a V1Secret"
        ApiClient().sanitize_for_serialization(body)
        if (namespace, body.metadata.name) in self.secrets:
            raise ApiException(status=409, reason="AlreadyExists")
        self.secrets[(namespace, body.metadata.name)] = copy.deepcopy(body)
        self.created_secrets.append(copy.deepcopy(body))
        return body

    def delete_namespaced_secret(self, name: str, namespace: str, **_: Any) -> k8s.V1Status:
        if self.secrets.pop((namespace, name), None) is None:
            raise ApiException(status=404, reason="NotFound")
        self.deleted_secrets.append(name)
        return k8s.V1Status(status="Success")

    def add_pod(self, pod: k8s.V1Pod, phase: str) -> None:
        """A pod made earlier (by another worker): for the sweep."""
        pod = copy.deepcopy(pod)
        pod.status = k8s.V1PodStatus(phase=phase)
        self.pods[(pod.metadata.namespace, pod.metadata.name)] = _Pod(
            pod, Script(), self.clock.t, fixed=True)

    def read_namespaced_pod(self, name: str, namespace: str, **_: Any) -> k8s.V1Pod:
        return self._snapshot(self._get(name, namespace))

    def list_namespaced_pod(self, namespace: str, label_selector: str | None = None,
                            field_selector: str | None = None, watch: bool = False,
                            timeout_seconds: int | None = None, **_: Any) -> k8s.V1PodList:
        """The real method's return lines: the client 28 finds the watch's type by
        `:return:`, the client 37 by `:rtype:`.

        :return: V1PodList
        :rtype: V1PodList
        """
        selected = [p for (ns, _), p in self.pods.items()
                    if ns == namespace and _matches(p.obj, label_selector, field_selector)]
        if watch:
            self.watches += 1
            return Response(self._watch(selected, timeout_seconds or 60))
        return k8s.V1PodList(items=[self._snapshot(p) for p in selected if not p.deleted])

    def delete_namespaced_pod(self, name: str, namespace: str, **_: Any) -> k8s.V1Pod:
        record = self._get(name, namespace)
        record.deleted = True
        self.deleted.append(name)
        return self._snapshot(record)

    def read_namespaced_pod_log(self, name: str, namespace: str, container: str | None = None,
                                follow: bool = False, timestamps: bool = False,
                                since_seconds: int | None = None, tail_lines: int | None = None,
                                _request_timeout: Any = None, **_: Any) -> Response:
        record = self._get(name, namespace)
        self.log_requests.append({"follow": follow, "since_seconds": since_seconds,
                                  "tail_lines": tail_lines, "container": container})
        if record.started is None or self.clock.t < record.started:
            raise ApiException(status=400, reason="container is waiting to start")
        cutoff = self.clock.t - since_seconds if since_seconds else float("-inf")
        lines = [(t, text) for t, text in record.lines if t >= cutoff]
        read_timeout = _request_timeout[1] if isinstance(_request_timeout, tuple) else None
        record.connections += 1
        drop = (record.script.drops[record.connections - 1]
                if record.connections <= len(record.script.drops) else None)
        if not follow:
            done = [(t, x) for t, x in lines if t <= self.clock.t]
            return Response(iter([_log_line(t, x, timestamps) for t, x in
                                  (done[-tail_lines:] if tail_lines else done)]))
        return Response(self._follow(record, lines, timestamps, read_timeout, drop))

    # -- events -------------------------------------------------------------------------
    def list_namespaced_event(self, namespace: str, field_selector: str | None = None,
                              **_: Any) -> k8s.CoreV1EventList:
        name = (field_selector or "").partition("=")[2]
        record = self.pods.get((namespace, name))
        items = [k8s.CoreV1Event(
            metadata=k8s.V1ObjectMeta(name=f"{name}.{i}"), type=kind, reason=reason,
            message=message, involved_object=k8s.V1ObjectReference(kind="Pod", name=name))
            for i, (kind, reason, message) in enumerate(record.script.events if record else [])]
        return k8s.CoreV1EventList(items=items)

    # -- the simulation -----------------------------------------------------------------
    def _get(self, name: str, namespace: str) -> _Pod:
        record = self.pods.get((namespace, name))
        if record is None or record.deleted:
            raise ApiException(status=404, reason="NotFound")
        return record

    def _spread(self, record: _Pod, lines: list[str]) -> list[tuple[float, str]]:
        """Lines over the container's run, two to a timestamp (as a fast writer makes)."""
        if record.started is None:
            return []
        step = record.script.duration / (len(lines) + 2)
        return [(record.started + step * (1 + i // 2), text) for i, text in enumerate(lines)]

    def _snapshot(self, record: _Pod) -> k8s.V1Pod:
        pod = copy.deepcopy(record.obj)
        if not record.fixed:
            pod.status = self._status(record)
        return pod

    def _status(self, record: _Pod) -> k8s.V1PodStatus:
        script, now = record.script, self.clock.t
        if record.started is None or now < record.started:
            return k8s.V1PodStatus(phase="Pending", container_statuses=[_container(
                k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(
                    reason=script.waiting_reason)))])
        if now < record.finished:
            return k8s.V1PodStatus(phase="Running", container_statuses=[_container(
                k8s.V1ContainerState(running=k8s.V1ContainerStateRunning(
                    started_at=EPOCH + dt.timedelta(seconds=record.started))))])
        failed = script.exit_code != 0 or script.pod_reason is not None
        state = None
        if script.exit_code is not None:
            state = k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(
                exit_code=script.exit_code,
                reason=script.reason or ("Error" if script.exit_code else "Completed")))
        return k8s.V1PodStatus(
            phase="Failed" if failed else "Succeeded", reason=script.pod_reason,
            message=script.pod_message,
            container_statuses=[_container(state or k8s.V1ContainerState())])

    def _transitions(self, record: _Pod) -> list[float]:
        if record.fixed:
            return []
        return [t for t in (record.started, record.finished) if t is not None]

    def _watch(self, selected: list[_Pod], timeout: int) -> Iterator[bytes]:
        start = self.clock.t
        for record in selected:
            yield _event("DELETED" if record.deleted else "ADDED", self._snapshot(record))
        for record in selected:
            for t in self._transitions(record):
                if start < t <= start + timeout:
                    self.clock.advance_to(t)
                    if record.deleted:
                        yield _event("DELETED", self._snapshot(record))
                        return
                    yield _event("MODIFIED", self._snapshot(record))
        self.clock.advance_to(start + timeout)  # the server closes a quiet watch at timeout

    def _follow(self, record: _Pod, lines: list[tuple[float, str]], timestamps: bool,
                read_timeout: float | None, drop: int | None) -> Iterator[bytes]:
        sent = 0
        for t, text in lines:
            if drop is not None and sent >= drop:
                raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")
            if read_timeout and t - self.clock.t > read_timeout:
                self.clock.advance_to(self.clock.t + read_timeout)
                raise urllib3.exceptions.ReadTimeoutError(None, "/log", "Read timed out.")
            self.clock.advance_to(t)
            if record.deleted:
                return
            yield _log_line(t, text, timestamps)
            sent += 1
        if record.finished is not None:
            if read_timeout and record.finished - self.clock.t > read_timeout:
                self.clock.advance_to(self.clock.t + read_timeout)
                raise urllib3.exceptions.ReadTimeoutError(None, "/log", "Read timed out.")
            self.clock.advance_to(record.finished)

    def _run_here(self, record: _Pod) -> None:
        """Run the base container's command in a subprocess: env and $(VAR) as Kubernetes."""
        container = record.obj.spec.containers[0]
        env = {e.name: e.value for e in container.env or [] if e.value is not None}
        mounts = {}
        volumes = {v.name: v for v in record.obj.spec.volumes or []}
        for mount in container.volume_mounts or []:
            mounts[mount.mount_path] = self.mount_sources.get(
                mount.name, tempfile.mkdtemp(dir=self.workdir))
            volume = volumes.get(mount.name)
            if volume is not None and volume.secret is not None:  # the kubelet's projection
                secret = self.secrets[(record.obj.metadata.namespace, volume.secret.secret_name)]
                for key, value in (secret.data or {}).items():
                    with open(os.path.join(mounts[mount.mount_path], key), "wb") as fh:
                        fh.write(base64.b64decode(value))

        def local(text: str) -> str:
            text = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                          lambda m: env.get(m.group(1), m.group(0)), text)
            for path, source in mounts.items():
                text = text.replace(path, source)
            return text

        argv = [local(a) for a in (container.command or []) + (container.args or [])]
        env = {k: local(v) for k, v in env.items()}
        done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=120, cwd=self.workdir)
        output = (done.stdout + done.stderr).splitlines()
        record.script = dataclasses.replace(record.script, exit_code=done.returncode,
                                            lines=output)
        record.lines = self._spread(record, output)


def _container(state: k8s.V1ContainerState) -> k8s.V1ContainerStatus:
    return k8s.V1ContainerStatus(name="base", image="image", image_id="", ready=False,
                                 restart_count=0, state=state)


def _event(kind: str, pod: k8s.V1Pod) -> bytes:
    body = {"type": kind, "object": ApiClient().sanitize_for_serialization(pod)}
    return (json.dumps(body) + "\n").encode()


def _log_line(t: float, text: str, timestamps: bool) -> bytes:
    stamp = (EPOCH + dt.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    return f"{stamp} {text}\n".encode() if timestamps else f"{text}\n".encode()


def _matches(pod: k8s.V1Pod, labels: str | None, fields: str | None) -> bool:
    if fields:
        for term in fields.split(","):
            key, _, value = term.partition("=")
            if key == "metadata.name" and pod.metadata.name != value:
                return False
    have = pod.metadata.labels or {}
    for term in (labels or "").split(","):
        if not term:
            continue
        key, eq, value = term.partition("=")
        if key not in have or (eq and have[key] != value):
            return False
    return True
