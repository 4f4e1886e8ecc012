"""`airflow.configuration.conf`: Airflow's configuration API answering from chordflow's settings.

DAG files and providers read configuration as `conf.get("core", "dags_folder")`. Each
section/key Airflow users commonly read answers from the matching chordflow setting (or
Airflow's default where chordflow has no such setting); `AIRFLOW__SECTION__KEY` in the
environment wins, as in Airflow. An unknown key raises `AirflowConfigException` unless a
`fallback` is given; the database, broker and key settings are refused, they are secrets.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable

from cluster.sdk.exceptions import AirflowConfigException
from cluster.config import Settings

_SECRET = {("database", "sql_alchemy_conn"), ("core", "sql_alchemy_conn"),
           ("core", "fernet_key"), ("celery", "broker_url"), ("celery", "result_backend"),
           ("webserver", "secret_key"), ("api", "secret_key"), ("api_auth", "jwt_secret")}

_NOT_SET = object()


def _values(s: Settings) -> dict[tuple[str, str], Callable[[], Any]]:
    return {
        ("core", "dags_folder"): lambda: str(s.dags_folder),
        ("core", "plugins_folder"): lambda: str(s.home / "plugins"),
        ("core", "default_timezone"): lambda: "utc",
        ("core", "load_examples"): lambda: False,
        ("core", "executor"): lambda: "CeleryExecutor",
        ("core", "parallelism"): lambda: 32,
        ("core", "max_active_tasks_per_dag"): lambda: 16,
        ("core", "max_active_runs_per_dag"): lambda: 16,
        ("core", "dags_are_paused_at_creation"): lambda: s.dags_are_paused_at_creation,
        ("core", "dagbag_import_timeout"): lambda: s.dag_file_processor_timeout,
        ("core", "dag_discovery_safe_mode"): lambda: getattr(s, "dag_discovery_safe_mode", True),
        ("core", "dag_ignore_file_syntax"): lambda: getattr(s, "dag_ignore_file_syntax", "regexp"),
        ("core", "default_task_retries"): lambda: 0,
        ("core", "unit_test_mode"): lambda: False,
        ("core", "default_pool_task_slot_count"): lambda: 128,
        ("core", "test_connection"): lambda: "Disabled",
        ("core", "security"): lambda: "",
        ("scheduler", "catchup_by_default"): lambda: s.catchup_by_default,
        ("scheduler", "dag_dir_list_interval"): lambda: s.dag_dir_list_interval,
        ("scheduler", "scheduler_heartbeat_sec"): lambda: s.scheduler_interval,
        ("dag_processor", "refresh_interval"): lambda: s.dag_dir_list_interval,
        ("logging", "base_log_folder"): lambda: str(s.home / "logs"),
        ("logging", "logging_level"): lambda: s.log_level,
        ("logging", "remote_logging"): lambda: False,
        ("operators", "default_owner"): lambda: "airflow",
        ("operators", "default_queue"): lambda: "default",
        ("operators", "default_deferrable"): lambda: False,
        ("sensors", "default_timeout"): lambda: 604800,
        ("email", "default_email_on_retry"): lambda: True,
        ("email", "default_email_on_failure"): lambda: True,
        ("webserver", "base_url"): lambda: "http://localhost:8080",
        ("api", "base_url"): lambda: "http://localhost:8080",
        ("kubernetes_executor", "namespace"): lambda: s.kubernetes_namespace,
        ("kubernetes", "namespace"): lambda: s.kubernetes_namespace,
        ("secrets", "backend"): lambda: "",
    }


class AirflowConfigParser:
    """Airflow's `conf` object; reads chordflow's settings each time (they may change)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    def _lookup(self, section: str, key: str) -> Any:
        section, key = section.lower(), key.lower()
        env = os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}")
        if env is not None:
            return env
        if (section, key) in _SECRET:
            raise AirflowConfigException(
                f"[{section}] {key} is not readable from DAG code in chordflow: it is a "
                "secret of the cluster; use a connection (BaseHook.get_connection) instead")
        settings = self._settings or Settings.from_env()
        value = _values(settings).get((section, key))
        if value is None:
            raise AirflowConfigException(f"section/key [{section}/{key}] not found in config")
        return value()

    def get(self, section: str, key: str, fallback: Any = _NOT_SET, **_: Any) -> Any:
        try:
            value = self._lookup(section, key)
        except AirflowConfigException:
            if fallback is _NOT_SET:
                raise
            return fallback
        return str(value) if isinstance(value, (bool, int, float)) else value

    def getboolean(self, section: str, key: str, fallback: Any = _NOT_SET, **_: Any) -> bool:
        value = self.get(section, key, fallback=fallback)
        if isinstance(value, bool) or value is None:
            return bool(value)
        text = str(value).strip().lower().split("#")[0].strip()
        if text in ("t", "true", "1"):
            return True
        if text in ("f", "false", "0"):
            return False
        raise AirflowConfigException(
            f'Failed to convert value to bool. Please check "{key}" key in "{section}" '
            f'section. Current value: "{value}".')

    def getint(self, section: str, key: str, fallback: Any = _NOT_SET, **_: Any) -> int:
        value = self.get(section, key, fallback=fallback)
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise AirflowConfigException(
                f'Failed to convert value to int. Please check "{key}" key in "{section}" '
                f'section. Current value: "{value}".') from None

    def getfloat(self, section: str, key: str, fallback: Any = _NOT_SET, **_: Any) -> float:
        value = self.get(section, key, fallback=fallback)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise AirflowConfigException(
                f'Failed to convert value to float. Please check "{key}" key in "{section}" '
                f'section. Current value: "{value}".') from None

    def getjson(self, section: str, key: str, fallback: Any = _NOT_SET, **_: Any) -> Any:
        value = self.get(section, key, fallback=fallback)
        return json.loads(value) if isinstance(value, str) and value else value

    def has_option(self, section: str, option: str, **_: Any) -> bool:
        try:
            self._lookup(section, option)
        except AirflowConfigException:
            return False
        return True

    def getsection(self, section: str) -> dict[str, Any]:
        settings = self._settings or Settings.from_env()
        return {key: value() for (sec, key), value in _values(settings).items()
                if sec == section.lower()}


AirflowSDKConfigParser = AirflowConfigParser
conf = AirflowConfigParser()
AIRFLOW_HOME = os.environ.get("AIRFLOW_HOME", os.path.expanduser("~/airflow"))

__all__ = ["AirflowConfigParser", "AirflowSDKConfigParser", "AirflowConfigException", "conf",
           "AIRFLOW_HOME"]
