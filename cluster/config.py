"""Settings from `CHORDFLOW_*` environment variables, with embedded defaults.

With nothing set, chordflow runs embedded: SQLite in a local state directory, an
in-process broker and worker pool. Setting a database URL and a Redis broker URL
turns the same commands into a cluster client.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from cluster.errors import ConfigError

PREFIX = "CHORDFLOW_"
RUNNERS = ("auto", "process", "docker", "kubernetes")
_DB_SCHEMES = ("postgresql", "postgresql+psycopg2", "postgres", "sqlite")
_BROKER_SCHEMES = ("redis", "rediss", "memory", "sentinel")
_BACKEND_SCHEMES = ("redis", "rediss", "sentinel", "cache+memory", "db+postgresql",
                    "db+postgresql+psycopg2", "db+sqlite", "rpc")
# Kubernetes names (RFC 1123 labels) and Docker image references, checked up front so a
# typo is a one-line error at start rather than an API error at the first task.
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE_REF = re.compile(r"^[a-z0-9]+([._/:-]?[a-zA-Z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$")


@dataclasses.dataclass(frozen=True)
class Settings:
    """The effective configuration; build it with `Settings.from_env()`."""

    home: Path
    database_url: str
    broker_url: str
    result_backend: str
    dags_folder: Path
    runner: str = "auto"
    runtime_image: str = "chordflow/runtime:latest"
    runtime_image_pull_policy: str = "IfNotPresent"
    # The docker runner's warm containers per worker process: started ahead, each running
    # exactly one try (workers/runners/warm_pool.py); 0: every try starts its own.
    warm_containers: int = 1
    # The pod runner: where task pods go, how the worker reaches the API server (in-cluster
    # service account, or a kubeconfig file and context; None: in-cluster when it can be),
    # and the claim task pods mount the DAG files from (empty: DAGs baked into the image).
    kubernetes_namespace: str = "default"
    kubernetes_in_cluster: bool | None = None
    kubernetes_config_file: str = ""
    kubernetes_cluster_context: str = ""
    kubernetes_dags_claim: str = ""
    kubernetes_startup_timeout: float = 120.0
    # Namespaces besides kubernetes_namespace whose orphaned pods workers sweep: those
    # KubernetesPodOperator tasks start pods in (`namespace=`).
    kubernetes_sweep_namespaces: tuple[str, ...] = ()
    # A ready task whose message the broker no longer holds is resent after this; a
    # backlog is never resent, so it can be short (it was 120 s when backlogs were).
    queued_timeout: float = 30.0
    scheduler_interval: float = 1.0
    dag_dir_list_interval: float = 30.0
    # Each DAG file is parsed in a child process bounded by these (Airflow's
    # dagbag_import_timeout; the memory limit is the child's address space).
    dag_file_processor_timeout: float = 30.0
    dag_file_memory_limit_mb: int = 4096
    # Airflow's [scheduler] standalone_dag_processor: schedulers leave parsing to a
    # `chordflow dag-processor` process instead of a thread of their own.
    standalone_dag_processor: bool = False
    heartbeat_interval: float = 5.0
    # Six missed heartbeats: a SIGKILLed worker's try counts as failed (and is retried)
    # half a minute after its last beat instead of a minute.
    zombie_threshold: float = 30.0
    visibility_timeout: int = 43200
    # How long a chord's counters live in Redis without news (Celery's
    # result_chord_expires); a running member of the chord keeps them alive.
    chord_expires: float = 7 * 86400.0
    log_level: str = "INFO"
    # A try's own output is stored up to this many bytes, then cut with a line saying so
    # (0: no limit); Kubernetes' default container log size.
    task_log_max_bytes: int = 10 * 1024 * 1024
    # Finished runs (with their task instances, XComs, logs) older than this many days are
    # deleted by the scheduler, as `chordflow db clean --older-than` does (0: kept for ever).
    retention_days: float = 0.0
    fernet_key: str = ""
    # Airflow's [core] settings of the same names: new DAGs wait to be unpaused, and a
    # DAG that says nothing about catchup runs only its latest interval (Airflow 3).
    dags_are_paused_at_creation: bool = True
    catchup_by_default: bool = False
    # Airflow's DAG discovery: safe mode parses only files mentioning "airflow" and "dag";
    # the syntax of .airflowignore lines (regexp or glob)
    dag_discovery_safe_mode: bool = True
    dag_ignore_file_syntax: str = "regexp"

    @property
    def embedded(self) -> bool:
        """True when the broker lives in this process (no Redis)."""
        return self.broker_url.startswith("memory://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, "").strip() or default

        home = Path(get("HOME", ".chordflow")).expanduser().absolute()
        database_url = get("DATABASE_URL", f"sqlite:///{home / 'chordflow.db'}")
        broker_url = get("BROKER_URL", "memory://")
        default_backend = "cache+memory://" if broker_url.startswith("memory://") else broker_url
        values: dict[str, Any] = dict(
            home=home,
            database_url=_check_url("DATABASE_URL", database_url, _DB_SCHEMES),
            broker_url=_check_url("BROKER_URL", broker_url, _BROKER_SCHEMES),
            result_backend=_check_url("RESULT_BACKEND", get("RESULT_BACKEND", default_backend),
                                      _BACKEND_SCHEMES),
            dags_folder=Path(get("DAGS_FOLDER", "dags")).expanduser().absolute(),
            runner=_check_choice("RUNNER", get("RUNNER", "auto"), RUNNERS),
            runtime_image=_check_pattern("RUNTIME_IMAGE", get("RUNTIME_IMAGE", cls.runtime_image),
                                         _IMAGE_REF, "a Docker image reference"),
            runtime_image_pull_policy=_check_choice(
                "RUNTIME_IMAGE_PULL_POLICY", get("RUNTIME_IMAGE_PULL_POLICY", "IfNotPresent"),
                ("Always", "IfNotPresent", "Never")),
            kubernetes_namespace=_check_pattern(
                "KUBERNETES_NAMESPACE", get("KUBERNETES_NAMESPACE", cls.kubernetes_namespace),
                _K8S_NAME, "a Kubernetes namespace name"),
            kubernetes_in_cluster=_flag("KUBERNETES_IN_CLUSTER", get("KUBERNETES_IN_CLUSTER")),
            kubernetes_config_file=get("KUBERNETES_CONFIG_FILE"),
            kubernetes_cluster_context=get("KUBERNETES_CLUSTER_CONTEXT"),
            kubernetes_dags_claim=get("KUBERNETES_DAGS_CLAIM"),
            kubernetes_sweep_namespaces=tuple(
                _check_pattern("KUBERNETES_SWEEP_NAMESPACES", n.strip(), _K8S_NAME,
                               "a comma-separated list of Kubernetes namespace names")
                for n in get("KUBERNETES_SWEEP_NAMESPACES").split(",") if n.strip()),
            kubernetes_startup_timeout=_number(
                "KUBERNETES_STARTUP_TIMEOUT", get("KUBERNETES_STARTUP_TIMEOUT"),
                cls.kubernetes_startup_timeout),
            queued_timeout=_number("QUEUED_TIMEOUT", get("QUEUED_TIMEOUT"), cls.queued_timeout),
            scheduler_interval=_number(
                "SCHEDULER_INTERVAL", get("SCHEDULER_INTERVAL"), cls.scheduler_interval
            ),
            dag_dir_list_interval=_number(
                "DAG_DIR_LIST_INTERVAL", get("DAG_DIR_LIST_INTERVAL"), cls.dag_dir_list_interval
            ),
            warm_containers=_count("WARM_CONTAINERS", get("WARM_CONTAINERS"),
                                   cls.warm_containers),
            dag_file_processor_timeout=_number(
                "DAG_FILE_PROCESSOR_TIMEOUT", get("DAG_FILE_PROCESSOR_TIMEOUT"),
                cls.dag_file_processor_timeout),
            dag_file_memory_limit_mb=int(_number(
                "DAG_FILE_MEMORY_LIMIT_MB", get("DAG_FILE_MEMORY_LIMIT_MB"),
                cls.dag_file_memory_limit_mb)),
            standalone_dag_processor=bool(_flag("STANDALONE_DAG_PROCESSOR",
                                                get("STANDALONE_DAG_PROCESSOR"))),
            heartbeat_interval=_number(
                "HEARTBEAT_INTERVAL", get("HEARTBEAT_INTERVAL"), cls.heartbeat_interval
            ),
            zombie_threshold=_number(
                "ZOMBIE_THRESHOLD", get("ZOMBIE_THRESHOLD"), cls.zombie_threshold
            ),
            visibility_timeout=int(
                _number("VISIBILITY_TIMEOUT", get("VISIBILITY_TIMEOUT"), cls.visibility_timeout)
            ),
            chord_expires=_number("CHORD_EXPIRES", get("CHORD_EXPIRES"), cls.chord_expires),
            log_level=_check_choice(
                "LOG_LEVEL", get("LOG_LEVEL", "INFO").upper(),
                ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
            ),
            task_log_max_bytes=int(_number("TASK_LOG_MAX_BYTES", get("TASK_LOG_MAX_BYTES"),
                                           cls.task_log_max_bytes, zero_is_off=True)),
            retention_days=_number("RETENTION_DAYS", get("RETENTION_DAYS"), cls.retention_days,
                                   zero_is_off=True),
            fernet_key=_check_fernet_key(get("FERNET_KEY")),
            dags_are_paused_at_creation=_flag("DAGS_ARE_PAUSED_AT_CREATION",
                                              get("DAGS_ARE_PAUSED_AT_CREATION")) is not False,
            catchup_by_default=bool(_flag("CATCHUP_BY_DEFAULT", get("CATCHUP_BY_DEFAULT"))),
            dag_discovery_safe_mode=_flag("DAG_DISCOVERY_SAFE_MODE",
                                          get("DAG_DISCOVERY_SAFE_MODE")) is not False,
            dag_ignore_file_syntax=_check_choice(
                "DAG_IGNORE_FILE_SYNTAX", get("DAG_IGNORE_FILE_SYNTAX", "regexp").lower(),
                ("regexp", "glob")),
        )
        values.update(overrides)
        return cls(**values)

    def shown(self) -> dict[str, str]:
        """The settings as text, passwords and keys masked, for `chordflow config show`."""
        return {PREFIX + field.name.upper(): _masked(field.name, str(getattr(self, field.name)))
                for field in dataclasses.fields(self)}

    def __repr__(self) -> str:
        # Tracebacks and test reports print settings (pytest shows a fixture's value when
        # a test fails): passwords and the Fernet key are masked there too.
        fields = ", ".join(
            f"{f.name}={_masked(f.name, getattr(self, f.name))!r}"
            for f in dataclasses.fields(self))
        return f"Settings({fields})"


def _masked(name: str, value: Any) -> Any:
    """A setting's value with a URL's password or the Fernet key replaced by ***."""
    if name.endswith("_url") or name == "result_backend":
        return mask_url(str(value))
    if name == "fernet_key" and value:
        return "***"
    return value


def mask_url(url: str) -> str:
    """`redis://:secret@host/0` -> `redis://:***@host/0`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    userinfo = f"{parts.username or ''}:***"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        raise ConfigError(
            f"{PREFIX}{name}={mask_url(value)!r} is not a URL with one of the schemes "
            f"{', '.join(schemes)}"
        )
    return value


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _flag(name: str, text: str) -> bool | None:
    """true/false (and 1/0, yes/no); empty means "decide by yourself" (None)."""
    if not text:
        return None
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{PREFIX}{name}={text!r} must be true or false")


def _check_pattern(name: str, value: str, pattern: re.Pattern, what: str) -> str:
    if not pattern.match(value):
        raise ConfigError(f"{PREFIX}{name}={value!r} is not {what}")
    return value


def _check_fernet_key(text: str) -> str:
    """Empty, or what Fernet takes: 32 bytes, URL-safe base64 (comma-separated to rotate)."""
    import base64
    import binascii

    for key in filter(None, (k.strip() for k in text.split(","))):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"{PREFIX}FERNET_KEY is not a Fernet key (32 bytes, URL-safe "
                              "base64; make one with `python -c 'from cryptography.fernet "
                              "import Fernet; print(Fernet.generate_key().decode())'`)")
    return text


def _count(name: str, text: str, default: int) -> int:
    """A whole number, 0 or more."""
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"{PREFIX}{name}={text!r} must be a whole number, 0 or more")
    return value


def _number(name: str, text: str, default: float, zero_is_off: bool = False) -> float:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={text!r} is not a number") from None
    if value == 0 and zero_is_off:
        return value
    if value <= 0 or value != value or value == float("inf"):
        raise ConfigError(f"{PREFIX}{name}={text!r} must be a positive number"
                          + (" (or 0: off)" if zero_is_off else ""))
    return value
