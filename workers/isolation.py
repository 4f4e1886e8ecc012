"""What a try's environment may hold: never the worker's own settings or secrets.

The process runner's child starts from the worker's environment minus every
`CHORDFLOW_*` / `AIRFLOW_*` name and minus anything holding the database URL, broker
URL, result backend or Fernet key (under any name); an administrator may pass named
variables on with CHORDFLOW_PROCESS_TASK_ENV (never a chordflow setting). Task
containers and pods get nothing of the worker's environment at all.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Mapping
from urllib.parse import urlsplit

from cluster.config import Settings
from cluster.errors import ConfigError

PASSTHROUGH_ENV = "CHORDFLOW_PROCESS_TASK_ENV"
_PREFIXES = ("CHORDFLOW_", "AIRFLOW_")
_SETTING_NAMES = frozenset(f"CHORDFLOW_{f.name.upper()}" for f in dataclasses.fields(Settings))


def worker_secrets(settings: Settings) -> list[str]:
    """The worker's values no task may see: its URLs (and their passwords), its Fernet key."""
    found = []
    for url in (settings.database_url, settings.broker_url, settings.result_backend):
        found.append(url)
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            found.append(password)
    found.extend(k.strip() for k in settings.fernet_key.split(",") if k.strip())
    return [s for s in found if len(s) >= 6 and s not in ("memory://", "cache+memory://")]


def passthrough(env: Mapping[str, str]) -> tuple[str, ...]:
    """The names CHORDFLOW_PROCESS_TASK_ENV passes on; a chordflow setting is refused."""
    names = tuple(n.strip() for n in env.get(PASSTHROUGH_ENV, "").split(",") if n.strip())
    refused = [n for n in names if n in _SETTING_NAMES or n == PASSTHROUGH_ENV]
    if refused:
        raise ConfigError(f"{PASSTHROUGH_ENV} may not pass chordflow settings to tasks: "
                          f"{', '.join(refused)}")
    return names


def task_environment(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a process-runner try starts with (see the module docstring)."""
    env = os.environ if env is None else env
    allowed = set(passthrough(env))
    hidden = worker_secrets(settings)
    out = {}
    for name, value in env.items():
        if name.startswith(_PREFIXES) and name not in allowed:
            continue
        if any(secret in value for secret in hidden):
            continue
        out[name] = value
    return out
