"""Where an operator that drives its own container or pod finds the means to launch it.

DockerOperator and KubernetesPodOperator only describe what to run; launching it (an
engine or API client, the worker's policy, log streaming) is the worker's. The worker
registers a launcher per kind here (workers/runners/__init__.py), so the authoring layer
never imports worker code. TriggerDagRunOperator and ExternalTaskSensor, which act on
other DAGs' runs in the metastore, find that access here too (`cross_dag`).
"""
from __future__ import annotations

import importlib
from typing import Any

from cluster.errors import AirflowException

_LAUNCHERS: dict[str, str] = {}  # kind -> the launcher's module


def register(kind: str, module: str) -> None:
    """Launch operators of `kind` with `module` (its `launch(operator, context)`; imported on
    first use, as its client libraries are optional)."""
    _LAUNCHERS[kind] = module


def launcher(kind: str) -> Any:
    """The registered launcher of `kind`; fails loudly outside a worker."""
    target = _LAUNCHERS.get(kind)
    if target is None:
        raise AirflowException(f"no {kind} launcher in this process: operators that run their "
                               "own container or pod, or act on other DAGs' runs, run in a "
                               "chordflow worker")
    return importlib.import_module(target)
