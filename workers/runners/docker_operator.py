"""Launching a DockerOperator's container: the worker's engine client and policy, the
output streamed into the task log, the container's last line (or file) as the XCom.

The operator (cluster/sdk/operators/docker.py) only describes the container.
"""
from __future__ import annotations

import pickle
from typing import Any

from cluster.errors import AirflowException

from workers.containers import labels_for, run_container
from workers.docker_policy import DockerPolicy
from workers.logs import MASKER, current_writer
from workers.runners.docker import client_for


def launch(operator: Any, context: dict[str, Any]) -> Any:
    """Run `operator`'s container to its end; its XCom value, or raise for its failure."""
    op = operator
    for value in op.private_environment.values():
        MASKER.add(value)
    client = client_for(base_url=op.docker_url) if op.docker_url else client_for()
    policy = DockerPolicy.from_env()
    image_user = None
    if op.user is None and not policy.allow_root:
        image_user = client.images.get(op.image).attrs.get("Config", {}).get("User", "")
    policy.check(op.task_id, op.volumes, op.mounts, op.network_mode,
                 str(op.user) if op.user is not None else None, image_user)
    options: dict[str, Any] = {
        "environment": {**op.environment, **op.private_environment},
        "volumes": [v for v in op.volumes], "mounts": op.mounts,
        "network_mode": op.network_mode, "working_dir": op.working_dir,
        "user": str(op.user) if op.user is not None else None,
        "mem_limit": op.mem_limit, "nano_cpus": int(op.cpus * 1e9),
        "entrypoint": op.entrypoint, "tty": op.tty, "shm_size": op.shm_size,
        "name": op.container_name, "security_opt": ["no-new-privileges"],
    }
    options = {k: v for k, v in options.items() if v not in (None, [], {})}
    timeout = op.execution_timeout
    pull_if_needed(op, client, current_writer())
    outcome = run_container(
        client, op.image, op.command, current_writer(), timeout, labels_for(context),
        keep_lines=op.xcom_all,
        retrieve=op.retrieve_output_path if op.retrieve_output else None, **options)
    if outcome.exit_code != 0:
        raise AirflowException(
            f"Docker container failed: exit code {outcome.exit_code} ({op.image})")
    if op.retrieve_output:  # Airflow's way: the file holds a pickle
        return None if not outcome.retrieved else pickle.loads(outcome.retrieved)
    if not op.do_xcom_push:
        return None
    if op.xcom_all:
        return [line for line in outcome.lines or [] if line.strip()] or None
    return outcome.last_line or None


def pull_if_needed(operator: Any, client: Any, writer: Any) -> None:
    """Pull the image when `force_pull` says so or the engine does not have it."""
    import docker

    image = operator.image
    if not operator.force_pull:
        try:
            client.images.get(image)
            return
        except docker.errors.ImageNotFound:
            pass
    writer.line(f"pulling image {image}" + (" (force_pull)" if operator.force_pull else ""))
    try:
        client.images.pull(image)
    except docker.errors.APIError as exc:
        raise AirflowException(f"cannot pull image {image}: {exc}") from None
