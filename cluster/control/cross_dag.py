"""What the operators that act on other DAGs do in the metastore: TriggerDagRunOperator
(trigger, clear and watch a run) and ExternalTaskSensor (another DAG's task states).

They run in the worker (a task container holds no store credentials), which registers
this module as their `cross_dag` launcher (workers/runners/__init__.py), so authoring
never imports the store or the service functions.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from cluster.config import Settings
from cluster.control.services import Cluster, clear_tasks, parse_date, trigger
from cluster.errors import NotFoundError
from cluster.store import Store
from cluster.store import dags as dag_store
from cluster.store import external
from cluster.store import runs as run_store

_CLUSTERS: dict[str, Cluster] = {}
_CLUSTERS_LOCK = threading.Lock()


def _cluster() -> Cluster:
    """The installation the worker's settings name, opened once per process."""
    settings = Settings.from_env()
    with _CLUSTERS_LOCK:
        handle = _CLUSTERS.get(settings.database_url)
        if handle is None:
            handle = _CLUSTERS[settings.database_url] = Cluster.open(settings)
    return handle


def metastore() -> Store:
    return _cluster().store


def to_date(text: str) -> dt.datetime:
    """A logical date given as text, parsed as the CLI parses one."""
    return parse_date(text)


def is_paused(dag_id: str) -> bool:
    dag = dag_store.get_dag(metastore(), dag_id)
    return dag is not None and dag.is_paused


def find_run(dag_id: str, run_id: str) -> int | None:
    """The primary key of `dag_id`'s run `run_id`, if there is one."""
    try:
        return run_store.find_run(metastore(), f"{dag_id}/{run_id}").id
    except NotFoundError:
        return None


def trigger_run(dag_id: str, conf: dict[str, Any] | None, run_id: str,
                when: dt.datetime | None) -> int:
    return trigger(_cluster(), dag_id, conf, run_id, when).id


def clear_run(run_pk: int) -> int:
    run, _ = clear_tasks(_cluster(), run_pk)
    return run.id


def run_state(run_pk: int) -> str:
    return run_store.get_run(metastore(), run_pk).state


def missing_tasks(dag_id: str, task_ids: Any) -> list[str] | None:
    return external.missing_tasks(metastore(), dag_id, task_ids)


def has_task_group(dag_id: str, group_id: str) -> bool:
    return external.has_task_group(metastore(), dag_id, group_id)


def external_states(dag_id: str, date: dt.datetime, task_ids: Any, group_id: str | None
                    ) -> Any:
    return external.external_states(metastore(), dag_id, date, task_ids, group_id)
