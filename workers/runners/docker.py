"""The docker runner: each Python or Bash task try runs in its own runtime-image container.

The container gets the DAGs folder read-only (at the worker's own path) and the directory
of the worker's task API socket (workers/task_api/); its environment holds the API's
address, the try's token and the DAGs folder's path, nothing else of chordflow's: no conf, no XComs, no database credentials, no Docker
socket. It reports its result and signals through the API, never on its output. Operators that start their own container (DockerOperator) run in the
worker process and start it themselves.
"""
from __future__ import annotations

import atexit
import logging
import os
import secrets
import threading
from typing import Any

from cluster.config import Settings

from workers.containers import (LABEL_PREFIX, cluster_label, follow, labels_for, remove,
                                try_container_name)
from workers.runners.warm_pool import WarmPool
from workers.task_api.protocol import ADDRESS_ENV, AHEAD_ENV, TOKEN_ENV
from workers.task_api.server import SOCKET_NAME
from workers.cancellation import TaskCancelled
from workers.task_api.tries import conclude, ended_elsewhere, granted
from workers.runners.process import InWorkerRunner

log = logging.getLogger("chordflow.worker")
DAGS_MOUNT = "/opt/chordflow/dags"  # where a task pod finds the DAGs (the pod runner's)
API_MOUNT = "/run/chordflow"  # where a task container finds the task API's socket
ENTRY = ["python", "-m", "workers.container_entry"]


def client_for(settings: Settings | None = None, base_url: str | None = None) -> Any:
    import docker

    return docker.DockerClient(base_url=base_url) if base_url else docker.from_env()


def docker_ready(settings: Settings) -> bool:
    """The engine answers and the runtime image is there."""
    try:
        client = client_for(settings)
        client.ping()
        client.images.get(settings.runtime_image)
        return True
    except Exception:
        return False


class DockerRunner:
    """Runs each try in `settings.runtime_image`; see the module docstring."""

    name = "docker"
    isolated = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = client_for(settings)
        self._in_worker = InWorkerRunner()
        self._pool: WarmPool | None = None
        self._api_host_dir: str | None = None
        # The DAGs folder is at the worker's own path in the task container, as Airflow has
        # it on every component: a path a DAG file derives from `__file__` at parse time
        # (in a template field, rendered by the worker) holds in the container too.
        self._dags_mount = os.path.abspath(str(settings.dags_folder))
        self.dags_host_path = os.environ.get("CHORDFLOW_DAGS_HOST_PATH") or \
            self._host_path_of(str(settings.dags_folder))

    def _host_path_of(self, path: str) -> str:
        """A worker running in a container mounts the DAGs folder (and the task API's
        socket directory) from the host; the engine needs the host's path. Ask the engine
        what this container mounts there."""
        import socket

        try:
            me = self.client.containers.get(socket.gethostname())
        except Exception:
            return path  # not in a container (or not one this engine runs)
        for mount in me.attrs.get("Mounts", []):
            target, source = mount.get("Destination") or "", mount.get("Source")
            if source and (path == target or path.startswith(target.rstrip("/") + "/")):
                return source + path[len(target):]
        return path

    def execute(self, operator: Any, context: dict[str, Any], log_writer: Any,
                timeout: float | None) -> Any:
        if getattr(operator, "runs_own_container", False):
            return self._in_worker.execute(operator, context, log_writer, timeout)
        from workers.runtime import runtime

        api = runtime().task_api
        with granted(api, self.settings.dags_folder, context, timeout) as grant:
            warm = self.pool(api).take(grant.context["dag_file"]) \
                if self.settings.warm_containers else None
            outcome = None
            name = try_container_name(context, str(runtime().store.url))
            # how the container says its try is over, its output flushed (see follow())
            end_mark = grant.context["end_mark"] = "chordflow-end-" + secrets.token_hex(8)
            if warm is not None:
                self.pool(api).hand_over(warm, grant)
                # named after its try, as a container started for it is (off the hop's path)
                threading.Thread(target=_rename, args=(warm.container, name),
                                 daemon=True).start()
                try:
                    outcome = follow(warm.container, log_writer, timeout, end_mark=end_mark)
                finally:
                    self._discard(warm.container)
                if grant.calls == 0:  # it had ended before it was handed the try
                    outcome = None
            if outcome is None:
                container = self.client.containers.create(
                    self.settings.runtime_image, command=ENTRY, labels=labels_for(context),
                    detach=True, environment=self._environment(api, grant.token), name=name,
                    **self._options(api))
                try:
                    container.start()
                    outcome = follow(container, log_writer, timeout, end_mark=end_mark)
                finally:
                    self._discard(container)
            if outcome.exit_code != 0 and grant.signal is None:
                reason = ended_elsewhere(runtime(), context)
                if reason:
                    raise TaskCancelled(reason)
            return conclude(grant, outcome.exit_code, "task container")

    def pool(self, api: Any) -> WarmPool:
        """This worker process's warm containers (started on first use)."""
        from workers.runtime import runtime

        if self._pool is None:
            self._pool = WarmPool(
                lambda environment, labels: self.client.containers.create(
                    self.settings.runtime_image, command=ENTRY, labels=labels, detach=True,
                    environment=environment, **self._options(api)),
                api, lambda token, ahead: self._environment(api, token, ahead),
                {f"{LABEL_PREFIX}cluster": cluster_label(str(runtime().store.url))},
                self.settings.warm_containers)
            # those still waiting go with this process (a prefork child closes them as
            # it stops, workers/worker_process.py; `chordflow run` when it exits)
            atexit.register(self._pool.close)
            self._pool.fill()
        return self._pool

    def _discard(self, container: Any) -> None:
        """A container whose try is over: removed off the try's path, by the warm pool's
        housekeeping at a lull when there is a pool, else by a thread of its own (the
        engine's teardown of it, 100 ms and more, is nobody's wait)."""
        if self._pool is not None:
            self._pool.discard(container)
        else:
            threading.Thread(target=remove, args=(container,), daemon=True).start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def _environment(self, api: Any, token: str, ahead: str | None = None) -> dict[str, str]:
        """The API's address and the try's (or the standby's) token, where the DAGs folder
        is, and for a warm container the DAG file to load while it waits: nothing else."""
        api.unix_address()
        env = {ADDRESS_ENV: f"unix://{API_MOUNT}/{SOCKET_NAME}", TOKEN_ENV: token,
               "CHORDFLOW_DAGS_FOLDER": self._dags_mount}
        if ahead:
            env[AHEAD_ENV] = ahead
        return env

    def _options(self, api: Any) -> dict[str, Any]:
        if self._api_host_dir is None:
            self._api_host_dir = self._host_path_of(str(api.socket_dir))
        api_host_dir = self._api_host_dir
        return dict(
            volumes={self.dags_host_path: {"bind": self._dags_mount, "mode": "ro"},
                     api_host_dir: {"bind": API_MOUNT, "mode": "ro"}},
            user="1000", cap_drop=["ALL"], security_opt=["no-new-privileges"],
            mem_limit=os.environ.get("CHORDFLOW_TASK_MEMORY", "2g"),
            nano_cpus=int(float(os.environ.get("CHORDFLOW_TASK_CPUS", "1")) * 1e9),
            network_mode=os.environ.get("CHORDFLOW_TASK_NETWORK", "bridge"))


def _rename(container: Any, name: str) -> None:
    try:
        container.rename(name)
    except Exception:  # it ended and was removed already
        pass
