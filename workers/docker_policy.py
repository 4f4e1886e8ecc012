"""The administrator's policy for DockerOperator containers: which host paths they may
mount, which networks they may join, whether they may run as root.

Read from the worker's environment (the DAG author cannot change it):

  CHORDFLOW_DOCKER_ALLOWED_VOLUMES   host path prefixes bind mounts may come from
                                     (comma-separated; empty: any path but the denied ones)
  CHORDFLOW_DOCKER_ALLOWED_NETWORKS  network modes allowed (comma-separated; `*` stands for
                                     any user-defined network; default `bridge,none,*`)
  CHORDFLOW_DOCKER_ALLOW_ROOT        `true` (default) or `false`: refuse a container whose
                                     user (given, or the image's own) is root

Whatever the settings say, the Docker socket, the root directory and the host's system
directories are never mounted, and `host` or `container:` networking needs naming
explicitly. The defaults keep the movielens pipeline (a data directory, a user-defined
network, images running as root) working.
"""
from __future__ import annotations

import dataclasses
import os
import posixpath
from typing import Any, Iterable, Mapping

from cluster.errors import ConfigError, UnsupportedFeatureError

# Never bind-mounted: the engine's socket and the host's own system directories.
DENIED_SOURCES = ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root",
                  "/run", "/sbin", "/sys", "/usr", "/var/run", "/var/lib/docker")
ANY_USER_NETWORK = "*"
_ROOT_USERS = ("", "0", "root")


class DockerPolicyError(UnsupportedFeatureError):
    """A DockerOperator asked for what the administrator's policy does not allow."""


@dataclasses.dataclass(frozen=True)
class DockerPolicy:
    """What DockerOperator containers may do on this worker (see the module docstring)."""

    allowed_volumes: tuple[str, ...] = ()
    allowed_networks: tuple[str, ...] = ("bridge", "none", ANY_USER_NETWORK)
    allow_root: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "DockerPolicy":
        env = os.environ if env is None else env
        volumes = _list(env.get("CHORDFLOW_DOCKER_ALLOWED_VOLUMES", ""))
        for path in volumes:
            if not path.startswith("/"):
                raise ConfigError(f"CHORDFLOW_DOCKER_ALLOWED_VOLUMES: {path!r} is not an "
                                  "absolute host path")
        networks = _list(env.get("CHORDFLOW_DOCKER_ALLOWED_NETWORKS", "")) or \
            cls.allowed_networks
        root = env.get("CHORDFLOW_DOCKER_ALLOW_ROOT", "true").strip().lower()
        if root not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"CHORDFLOW_DOCKER_ALLOW_ROOT must be true or false, not {root!r}")
        return cls(tuple(volumes), tuple(networks), root in ("true", "1", "yes"))

    def check(self, task_id: str, volumes: Iterable[str], mounts: Iterable[Any],
              network_mode: str | None, user: str | None, image_user: str | None) -> None:
        """Raise DockerPolicyError naming the first thing the policy refuses."""
        for spec in volumes:
            self._check_source(task_id, _volume_source(spec), f"volume {spec!r}")
        for mount in mounts:
            kind = _field(mount, "Type", "type") or "volume"
            if kind == "bind":
                source = _field(mount, "Source", "source") or ""
                self._check_source(task_id, source, f"bind mount of {source!r}")
        self._check_network(task_id, network_mode or "bridge")
        effective = user if user is not None else (image_user or "")
        if not self.allow_root and effective.split(":")[0] in _ROOT_USERS:
            where = "user=" + repr(user) if user is not None else "its image's default user"
            raise DockerPolicyError(
                f"DockerOperator({task_id!r}): runs as root ({where}), which this worker's "
                f"policy refuses (CHORDFLOW_DOCKER_ALLOW_ROOT=false): give user='1000:1000'")

    def _check_source(self, task_id: str, source: str, what: str) -> None:
        if not source.startswith("/"):
            return  # a named volume: Docker's own, not a host path
        path = posixpath.normpath(source)
        if path.endswith("docker.sock") or any(_within(path, d) if d != "/" else path == "/"
                                               for d in DENIED_SOURCES):
            raise DockerPolicyError(
                f"DockerOperator({task_id!r}): {what} is refused: {path} is the Docker socket "
                f"or a host system directory")
        if any(_within(d, path) for d in DENIED_SOURCES if d != "/"):
            raise DockerPolicyError(f"DockerOperator({task_id!r}): {what} is refused: {path} "
                                    f"contains host system directories")
        if self.allowed_volumes and not any(_within(path, a) for a in self.allowed_volumes):
            raise DockerPolicyError(
                f"DockerOperator({task_id!r}): {what} is outside the host paths this worker "
                f"allows (CHORDFLOW_DOCKER_ALLOWED_VOLUMES={','.join(self.allowed_volumes)})")

    def _check_network(self, task_id: str, mode: str) -> None:
        if mode in self.allowed_networks:
            return
        special = mode in ("host", "bridge", "none", "default") or mode.startswith("container:")
        if not special and ANY_USER_NETWORK in self.allowed_networks:
            return
        raise DockerPolicyError(
            f"DockerOperator({task_id!r}): network_mode={mode!r} is not allowed by this "
            f"worker's policy (CHORDFLOW_DOCKER_ALLOWED_NETWORKS="
            f"{','.join(self.allowed_networks)})")


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _within(path: str, parent: str) -> bool:
    parent = parent.rstrip("/") or "/"
    return path == parent or path.startswith(parent + "/")


def _volume_source(spec: str) -> str:
    return spec.split(":", 1)[0] if ":" in spec else ""


def _field(mount: Any, *names: str) -> Any:
    for name in names:
        if isinstance(mount, dict) and name in mount:
            return mount[name]
        if hasattr(mount, name):
            return getattr(mount, name)
    return None
