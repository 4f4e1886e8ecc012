"""TriggerDagRunOperator: start a run of another DAG, optionally waiting for its end."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any, Iterable, Sequence

from cluster.airflow_states import DagRunState
from cluster.errors import (AirflowException, AirflowSkipException, DagDefinitionError,
                      NotFoundError, UnsupportedFeatureError)
from cluster.services import Cluster, clear_tasks, parse_date, trigger
from cluster.store import dags as dag_store
from cluster.store import runs as run_store
from cluster.operators.base import BaseOperator

XCOM_RUN_ID = "trigger_run_id"
XCOM_DAG_ID = "trigger_dag_id"
_NOTSET: Any = object()
_CLUSTERS: dict[str, Cluster] = {}
_CLUSTERS_LOCK = threading.Lock()


def _cluster() -> Cluster:
    """The installation the worker's settings name, opened once per process."""
    from cluster.config import Settings

    settings = Settings.from_env()
    with _CLUSTERS_LOCK:
        handle = _CLUSTERS.get(settings.database_url)
        if handle is None:
            handle = _CLUSTERS[settings.database_url] = Cluster.open(settings)
    return handle


class TriggerDagRunOperator(BaseOperator):
    """Creates a run of `trigger_dag_id` (Airflow's `TriggerDagRunOperator`).

    Parameters:
      trigger_dag_id: the DAG to run (templated).
      trigger_run_id: the new run's id (templated; `manual__<logical date>` by default).
      conf: the new run's conf (templated, JSON).
      logical_date: the new run's logical date (templated; a datetime or an ISO string;
        now by default).
      reset_dag_run: when a run with that id exists, clear it so it runs again (its conf
        stays); otherwise an existing run fails the task.
      skip_when_already_exists: when the run exists (and is not reset), skip the task.
      wait_for_completion: wait until the run ends, checking every `poke_interval`
        seconds; a state of `failed_states` fails the task, one of `allowed_states`
        ends it successfully.
      fail_when_dag_is_paused: fail instead of triggering a paused DAG.
    The run id and DAG id are pushed as XComs `trigger_run_id` and `trigger_dag_id`.
    """

    template_fields: Sequence[str] = ("trigger_dag_id", "trigger_run_id", "logical_date",
                                      "conf", "wait_for_completion", "skip_when_already_exists")
    ui_color = "#ffefeb"
    # It creates and watches runs in the metastore, which a task container has no
    # credentials for: it runs in the worker even with a container runner.
    runs_own_container = True

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: str | dt.datetime | None = _NOTSET,
        execution_date: str | dt.datetime | None = _NOTSET,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: float = 60,
        allowed_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        name = f"TriggerDagRunOperator({kwargs.get('task_id')!r})"
        if deferrable:
            raise UnsupportedFeatureError(
                f"{name}: deferrable=True is not supported by chordflow (no triggerer); "
                "wait_for_completion waits in the worker")
        super().__init__(**kwargs)
        if logical_date is _NOTSET:
            logical_date = execution_date  # the Airflow 2 name
        if logical_date is not _NOTSET and logical_date is not None and \
                not isinstance(logical_date, (str, dt.datetime)):
            raise DagDefinitionError(
                f"{name}: logical_date must be a str, a datetime or None, got "
                f"{type(logical_date).__name__}")
        try:
            self.allowed_states = [DagRunState(s) for s in (allowed_states or ["success"])]
            self.failed_states = [DagRunState(s) for s in (
                ["failed"] if failed_states is None else failed_states)]
        except ValueError as exc:
            raise DagDefinitionError(f"{name}: {exc}") from None
        if not isinstance(poke_interval, (int, float)) or poke_interval <= 0:
            raise DagDefinitionError(f"{name}: poke_interval must be a positive number")
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.logical_date = logical_date
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = float(poke_interval)
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = fail_when_dag_is_paused

    def execute(self, context: dict[str, Any]) -> None:
        when = self._logical_date()
        try:
            conf = json.loads(json.dumps(self.conf)) if self.conf is not None else None
        except TypeError:
            raise ValueError("conf parameter should be JSON Serializable") from None
        if conf is not None and not isinstance(conf, dict):
            raise ValueError("conf must be a dict")
        run_id = str(self.trigger_run_id) if self.trigger_run_id else \
            f"manual__{(when or dt.datetime.now(dt.timezone.utc)).isoformat()}"
        cluster = _cluster()
        if self.fail_when_dag_is_paused:
            dag = dag_store.get_dag(cluster.store, self.trigger_dag_id)
            if dag is not None and dag.is_paused:
                raise AirflowException(f"Dag {self.trigger_dag_id} is paused")
        existing = _existing_run(cluster, self.trigger_dag_id, run_id)
        if existing is None:
            run = trigger(cluster, self.trigger_dag_id, conf, run_id, when)
            self.log.info("triggered %s run %s (number %s)", self.trigger_dag_id, run_id, run.id)
        elif self.reset_dag_run:
            self.log.info("clearing %s on %s", self.trigger_dag_id, run_id)
            run, _ = clear_tasks(cluster, existing.id)
        elif self.skip_when_already_exists:
            raise AirflowSkipException(
                "Skipping due to skip_when_already_exists is set to True and DagRunAlreadyExists")
        else:
            raise AirflowException(
                f"A Dag Run already exists for Dag {self.trigger_dag_id} with run id {run_id}")
        ti = context["ti"]
        ti.xcom_push(key=XCOM_RUN_ID, value=run_id)
        ti.xcom_push(key=XCOM_DAG_ID, value=self.trigger_dag_id)
        if self.wait_for_completion:
            self._wait(cluster, run.id, run_id)

    def _logical_date(self) -> dt.datetime | None:
        value = self.logical_date
        if value is _NOTSET:
            return dt.datetime.now(dt.timezone.utc)
        if isinstance(value, str):
            return parse_date(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value

    def _wait(self, cluster: Cluster, run_pk: int, run_id: str) -> None:
        allowed = {s.value for s in self.allowed_states}
        failed = {s.value for s in self.failed_states}
        while True:
            self.log.info("Waiting for %s on %s to become allowed state %s ...",
                          self.trigger_dag_id, run_id, sorted(allowed))
            state = run_store.get_run(cluster.store, run_pk).state
            if state in failed:
                raise AirflowException(f"{self.trigger_dag_id} failed with failed states {state}")
            if state in allowed:
                self.log.info("%s finished with allowed state %s", self.trigger_dag_id, state)
                return
            time.sleep(self.poke_interval)


def _existing_run(cluster: Cluster, dag_id: str, run_id: str) -> Any:
    try:
        return run_store.find_run(cluster.store, f"{dag_id}/{run_id}")
    except NotFoundError:
        return None


__all__ = ["TriggerDagRunOperator"]
