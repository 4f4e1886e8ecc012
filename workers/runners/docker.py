"""The docker runner: each Python or Bash task try runs in its own runtime-image container.

The container gets the DAGs folder read-only and a payload of ids, dates, conf, params
and the run's XComs in an environment variable; it has no database credentials and no
Docker socket. Operators that start their own container (DockerOperator) run in the
worker process and start it themselves.
"""
from __future__ import annotations

import base64
import json
import logging
import os
from typing import Any

from cluster.config import Settings
from cluster.errors import AirflowException

from ..containers import labels_for, raise_for_signals, run_container
from .process import ProcessRunner

log = logging.getLogger("chordflow.worker")
DAGS_MOUNT = "/opt/chordflow/dags"
PAYLOAD_ENV = "CHORDFLOW_TASK_PAYLOAD"


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
        self._in_worker = ProcessRunner()
        self.dags_host_path = os.environ.get("CHORDFLOW_DAGS_HOST_PATH") or \
            self._host_path_of(str(settings.dags_folder))

    def _host_path_of(self, path: str) -> str:
        """A worker running in a container mounts the DAGs folder from the host; the engine
        needs the host's path. Ask the engine what this container mounts there."""
        import socket

        try:
            me = self.client.containers.get(socket.gethostname())
        except Exception:
            return path  # not in a container (or not one this engine runs)
        for mount in me.attrs.get("Mounts", []):
            if mount.get("Destination") == path and mount.get("Source"):
                return mount["Source"]
        return path

    def execute(self, operator: Any, context: dict[str, Any], log_writer: Any,
                timeout: float | None) -> Any:
        if getattr(operator, "runs_own_container", False):
            return self._in_worker.execute(operator, context, log_writer, timeout)
        ti = context["ti"]
        encoded = task_payload(self.settings, context)
        outcome = run_container(
            self.client, self.settings.runtime_image,
            ["python", "-m", "workers.container_entry"], log_writer, timeout,
            labels_for(context),
            environment={PAYLOAD_ENV: encoded, "CHORDFLOW_DAGS_FOLDER": DAGS_MOUNT},
            volumes={self.dags_host_path: {"bind": DAGS_MOUNT, "mode": "ro"}},
            user="1000", cap_drop=["ALL"], security_opt=["no-new-privileges"],
            mem_limit=os.environ.get("CHORDFLOW_TASK_MEMORY", "2g"),
            nano_cpus=int(float(os.environ.get("CHORDFLOW_TASK_CPUS", "1")) * 1e9),
            network_mode=os.environ.get("CHORDFLOW_TASK_NETWORK", "bridge"),
        )
        for key, value in outcome.xcoms.items():
            ti.xcom_push(key, value)
        raise_for_signals(outcome)
        if outcome.exit_code != 0:
            raise AirflowException(f"task container exited with code {outcome.exit_code}")
        return outcome.result


def task_payload(settings: Settings, context: dict[str, Any]) -> str:
    """What `workers.container_entry` needs to run one try, encoded for PAYLOAD_ENV.

    Shared by the container runners (docker, kubernetes): ids, dates, conf, params and
    the run's XComs; never database credentials.
    """
    from cluster.store import tasks as ti_store
    from ..runtime import runtime

    ti = context["ti"]
    dag = context["dag"]
    relative = os.path.relpath(dag.fileloc, settings.dags_folder)
    payload = {
        "dag_file": relative, "dag_id": dag.dag_id, "task_id": ti.task_id,
        "try_number": ti.try_number, "run_pk": ti.run_pk, "run_id": ti.run_id,
        "start_date": ti.start_date.isoformat() if getattr(ti, "start_date", None) else None,
        "logical_date": context["logical_date"].isoformat(),
        "data_interval": [context["data_interval_start"].isoformat(),
                          context["data_interval_end"].isoformat()],
        "conf": context["dag_run"].conf, "params": _jsonable(context["params"]),
        "upstream": ti._upstream,
        # a mapped task's child: which one, and its values (set again inside the container)
        "map_index": context.get("map_index", -1),
        "mapped_values": getattr(context["task"], "_mapped_values", None),
        "xcoms": [list(x) for x in ti_store.run_xcoms(runtime().store, ti.run_pk)],
        # asset events only when the task can look at some (no query otherwise)
        "asset_events": {
            name: [e.as_json() for e in context[name].records()]
            for name, wanted in (
                ("triggering_asset_events",
                 getattr(dag.timetable, "asset_condition", None) is not None),
                ("inlet_events", bool(getattr(context["task"], "inlets", None))))
            if wanted and name in context},
    }
    return base64.b64encode(json.dumps(payload, default=str).encode()).decode()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
