"""DockerOperator: run a command in an image of the task's choosing (Airflow's arguments)."""
from __future__ import annotations

from typing import Any, Sequence

from cluster.errors import AirflowException, UnsupportedFeatureError
from cluster.sdk.launchers import launcher
from cluster.sdk.operators.base import BaseOperator


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
    (workers/docker_policy.py) before the container starts; the worker launches it
    (workers/runners/docker_operator.py), the operator only describes it.
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
        """Run the container on the worker (workers/runners/docker_operator.py)."""
        return launcher("docker").launch(self, context)


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
