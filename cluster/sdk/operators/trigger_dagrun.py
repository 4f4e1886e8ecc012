"""TriggerDagRunOperator: start a run of another DAG, optionally waiting for its end."""
from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Iterable, Sequence

from cluster.states import RunState as DagRunState
from cluster.errors import (AirflowException, AirflowSkipException, DagDefinitionError,
                            UnsupportedFeatureError)
from cluster.sdk.launchers import launcher
from cluster.sdk.operators.base import BaseOperator

XCOM_RUN_ID = "trigger_run_id"
XCOM_DAG_ID = "trigger_dag_id"
_NOTSET: Any = object()


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
        runs = launcher("cross_dag")
        if self.fail_when_dag_is_paused and runs.is_paused(self.trigger_dag_id):
            raise AirflowException(f"Dag {self.trigger_dag_id} is paused")
        existing = runs.find_run(self.trigger_dag_id, run_id)
        if existing is None:
            run_pk = runs.trigger_run(self.trigger_dag_id, conf, run_id, when)
            self.log.info("triggered %s run %s (number %s)", self.trigger_dag_id, run_id, run_pk)
        elif self.reset_dag_run:
            self.log.info("clearing %s on %s", self.trigger_dag_id, run_id)
            run_pk = runs.clear_run(existing)
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
            self._wait(runs, run_pk, run_id)

    def _logical_date(self) -> dt.datetime | None:
        value = self.logical_date
        if value is _NOTSET:
            return dt.datetime.now(dt.timezone.utc)
        if isinstance(value, str):
            return launcher("cross_dag").to_date(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value

    def _wait(self, runs: Any, run_pk: int, run_id: str) -> None:
        allowed = {s.value for s in self.allowed_states}
        failed = {s.value for s in self.failed_states}
        while True:
            self.log.info("Waiting for %s on %s to become allowed state %s ...",
                          self.trigger_dag_id, run_id, sorted(allowed))
            state = runs.run_state(run_pk)
            if state in failed:
                raise AirflowException(f"{self.trigger_dag_id} failed with failed states {state}")
            if state in allowed:
                self.log.info("%s finished with allowed state %s", self.trigger_dag_id, state)
                return
            time.sleep(self.poke_interval)


__all__ = ["TriggerDagRunOperator"]
