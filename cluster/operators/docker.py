"""DockerOperator: run a command in an image of the task's choosing (Airflow's arguments)."""
from __future__ import annotations

from typing import Any, Sequence

from ..errors import AirflowException, UnsupportedFeatureError
from .base import BaseOperator


class DockerOperator(BaseOperator):
    """Runs `command` in `image`; output streams into the task log, the container is removed.

    Parameters:
      image / command (templated, string or list) / environment (templated) /
      private_environment (masked in logs) / volumes ("host:container[:ro]") / mounts
      (docker.types.Mount) / network_mode / working_dir / user / mem_limit / cpus /
      docker_url / entrypoint / shm_size / do_xcom_push (last line of output, every line
      with xcom_all) / force_pull (pull even if the engine has the image) /
      retrieve_output + retrieve_output_path (the XCom is the pickle the command wrote).
    Volumes, mounts, the network and the user are checked against the worker's policy
    (workers/docker_policy.py) before the container starts.
    """

    template_fields: Sequence[str] = ("image", "command", "environment", "container_name")
    template_ext: Sequence[str] = (".sh", ".bash", ".env")
    ui_color = "#bbefff"
    runs_own_container = True

    def __init__(
        self, *, image: str, command: str | list[str] | None = None,
        environment: dict[str, str] | None = None,
        private_environment: dict[str, str] | None = None,
        volumes: list[str] | None = None, mounts: list[Any] | None = None,
        network_mode: str | None = None, auto_remove: bool | str = "success",
        working_dir: str | None = None, user: str | int | None = None,
        mem_limit: str | int | None = None, cpus: float = 1.0,
        docker_url: str | None = None, api_version: str | None = None,
        entrypoint: str | list[str] | None = None, tty: bool = False,
        mount_tmp_dir: bool = True, container_name: str | None = None,
        shm_size: int | None = None, privileged: bool = False, force_pull: bool = False,
        xcom_all: bool = False, retrieve_output: bool = False,
        retrieve_output_path: str | None = None, **kwargs: Any,
    ) -> None:
        if privileged:
            raise UnsupportedFeatureError(
                f"DockerOperator({kwargs.get('task_id')!r}): privileged containers are refused")
        super().__init__(**kwargs)
        self.image, self.command = image, command
        self.environment = dict(environment or {})
        self.private_environment = dict(private_environment or {})
        self.volumes, self.mounts = list(volumes or []), list(mounts or [])
        self.network_mode, self.auto_remove = network_mode, _auto_remove(auto_remove)
        self.working_dir, self.user = working_dir, user
        self.mem_limit, self.cpus = mem_limit, cpus
        self.docker_url, self.api_version = docker_url, api_version
        self.entrypoint, self.tty, self.container_name = entrypoint, tty, container_name
        self.shm_size, self.force_pull, self.xcom_all = shm_size, force_pull, xcom_all
        self.retrieve_output, self.retrieve_output_path = retrieve_output, retrieve_output_path
        if retrieve_output and not retrieve_output_path:
            raise AirflowException(f"DockerOperator({self.task_id!r}): retrieve_output=True "
                                   "needs retrieve_output_path")

    def execute(self, context: dict[str, Any]) -> Any:
        from workers.containers import labels_for, run_container
        from workers.docker_policy import DockerPolicy
        from workers.logs import MASKER, current_writer
        from workers.runners.docker import client_for

        for value in self.private_environment.values():
            MASKER.add(value)
        client = client_for(base_url=self.docker_url) if self.docker_url else client_for()
        policy = DockerPolicy.from_env()
        image_user = None
        if self.user is None and not policy.allow_root:
            image_user = client.images.get(self.image).attrs.get("Config", {}).get("User", "")
        policy.check(self.task_id, self.volumes, self.mounts, self.network_mode,
                     str(self.user) if self.user is not None else None, image_user)
        options: dict[str, Any] = {
            "environment": {**self.environment, **self.private_environment},
            "volumes": [v for v in self.volumes], "mounts": self.mounts,
            "network_mode": self.network_mode, "working_dir": self.working_dir,
            "user": str(self.user) if self.user is not None else None,
            "mem_limit": self.mem_limit, "nano_cpus": int(self.cpus * 1e9),
            "entrypoint": self.entrypoint, "tty": self.tty, "shm_size": self.shm_size,
            "name": self.container_name, "security_opt": ["no-new-privileges"],
        }
        options = {k: v for k, v in options.items() if v not in (None, [], {})}
        timeout = self.execution_timeout
        self._pull_if_needed(client, current_writer())
        outcome = run_container(
            client, self.image, self.command, current_writer(), timeout, labels_for(context),
            keep_lines=self.xcom_all,
            retrieve=self.retrieve_output_path if self.retrieve_output else None, **options)
        if outcome.exit_code != 0:
            raise AirflowException(
                f"Docker container failed: exit code {outcome.exit_code} ({self.image})")
        if self.retrieve_output:  # Airflow's way: the file holds a pickle
            return _unpickle(outcome.retrieved)
        if not self.do_xcom_push:
            return None
        if self.xcom_all:
            return [line for line in outcome.lines or [] if line.strip()] or None
        return outcome.last_line or None

    def _pull_if_needed(self, client: Any, writer: Any) -> None:
        """Pull the image when `force_pull` says so or the engine does not have it."""
        import docker

        if not self.force_pull:
            try:
                client.images.get(self.image)
                return
            except docker.errors.ImageNotFound:
                pass
        writer.line(f"pulling image {self.image}" + (" (force_pull)" if self.force_pull else ""))
        try:
            client.images.pull(self.image)
        except docker.errors.APIError as exc:
            raise AirflowException(f"cannot pull image {self.image}: {exc}") from None


def _unpickle(data: bytes | None) -> Any:
    import pickle

    return None if not data else pickle.loads(data)


AUTO_REMOVE = ("never", "success", "force")


def _auto_remove(value: bool | str) -> str:
    """Airflow's `auto_remove` spellings (bools from providers before 3.0) as one word.

    The value is kept for DAG compatibility; chordflow removes every task container once
    its output and exit code are stored, so "never" does not leave containers behind.
    """
    if isinstance(value, bool):
        return "success" if value else "never"
    if value not in AUTO_REMOVE:
        raise ValueError(f"auto_remove must be one of {', '.join(AUTO_REMOVE)}, not {value!r}")
    return value
