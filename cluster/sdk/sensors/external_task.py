"""ExternalTaskSensor: waits for another DAG's run, or some of its tasks, at a logical date."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Sequence

from cluster.errors import (AirflowException, AirflowFailException, AirflowSkipException,
                      DagDefinitionError)
from cluster.sdk.operators.python import context_kwargs
from cluster.states import RunState, TaskState
from cluster.sdk.launchers import launcher
from cluster.sdk.triggers import PokeTrigger
from cluster.sdk.sensors.base import BaseSensorOperator

class ExternalTaskSensor(BaseSensorOperator):
    """Done when the run of `external_dag_id` at this run's logical date (shifted by
    `execution_delta` or `execution_date_fn`) is in an allowed state — or, given task ids,
    when all those tasks are.

    Parameters:
      external_dag_id: the DAG to wait for (templated).
      external_task_id / external_task_ids: the task(s) to wait for; none: the whole run.
      external_task_group_id: wait for the tasks of this task group instead (templated):
        done when all of them are in an allowed state; failed or skipped only when all
        of them are in a failed or skipped state, as in Airflow.
      allowed_states: states that end the wait (task states, or run states without tasks).
      failed_states: states that fail the sensor (skip it when `soft_fail`).
      skipped_states: states that skip the sensor.
      execution_delta: the other run's logical date is this run's minus this timedelta.
      execution_date_fn: `fn(logical_date, context)` (or asking for context names) returning
        the other run's logical date, or a list of them.
      check_existence: fail at once when the DAG or one of the tasks does not exist.
      deferrable: defer to a trigger that looks the other run up every `poll_interval`
        seconds (the try waits for it; the sensor's `timeout` bounds the wait).
      poll_interval: seconds between look-ups in deferrable mode (2 by default).
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    template_fields: Sequence[str] = ("external_dag_id", "external_task_id", "external_task_ids",
                                      "external_task_group_id")
    ui_color = "#4db7db"
    # It reads the metastore, which a task container has no credentials for: it runs in
    # the worker even with a container runner.
    runs_own_container = True

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Iterable[str] | None = None,
        external_task_group_id: str | None = None,
        allowed_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        skipped_states: Iterable[str] | None = None,
        execution_delta: dt.timedelta | None = None,
        execution_date_fn: Callable[..., Any] | None = None,
        check_existence: bool = False,
        deferrable: bool = False,
        poll_interval: float = 2.0,
        **kwargs: Any,
    ) -> None:
        name = f"ExternalTaskSensor({kwargs.get('task_id')!r})"
        if external_task_id is not None and external_task_ids is not None:
            raise DagDefinitionError(
                f"{name}: give external_task_id or external_task_ids, not both")
        if execution_delta is not None and execution_date_fn is not None:
            raise DagDefinitionError(
                f"{name}: give execution_delta or execution_date_fn, not both")
        if execution_delta is not None and not isinstance(execution_delta, dt.timedelta):
            raise DagDefinitionError(f"{name}: execution_delta must be a timedelta")
        task_ids = [external_task_id] if external_task_id is not None else \
            list(external_task_ids) if external_task_ids is not None else None
        if task_ids is not None and (not task_ids or len(set(task_ids)) != len(task_ids)):
            raise DagDefinitionError(f"{name}: external_task_ids must be distinct and not empty")
        if external_task_group_id is not None and task_ids is not None:
            raise DagDefinitionError(f"{name}: give external_task_id(s) or "
                                     "external_task_group_id, not both")
        by_task = task_ids is not None or external_task_group_id is not None
        known = {s.value for s in (TaskState if by_task else RunState)}
        allowed = list(allowed_states or [TaskState.SUCCESS.value])
        failed, skipped = list(failed_states or []), list(skipped_states or [])
        unknown = sorted(set(allowed + failed + skipped) - known)
        if unknown:
            raise DagDefinitionError(f"{name}: unknown state(s) {', '.join(unknown)}; valid "
                                     f"ones are {', '.join(sorted(known))}")
        if set(allowed) & set(failed) or set(allowed) & set(skipped):
            raise DagDefinitionError(
                f"{name}: a state cannot be both allowed and failed/skipped")
        super().__init__(**kwargs)
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = list(external_task_ids) if external_task_ids is not None else None
        self.external_task_group_id = external_task_group_id
        self.allowed_states, self.failed_states, self.skipped_states = allowed, failed, skipped
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.check_existence = check_existence
        self._existence_checked = False
        self.deferrable = bool(deferrable)
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)) \
                or poll_interval <= 0:
            raise DagDefinitionError(f"{name}: poll_interval must be a positive number of "
                                     f"seconds, got {poll_interval!r}")
        self.poll_interval = float(poll_interval)

    def execute(self, context: dict[str, Any]) -> Any:
        if not self.deferrable:
            return super().execute(context)
        self.defer(trigger=PokeTrigger(lambda: self._poke(context), self.poll_interval,
                                       {"status": "success"}),
                   method_name="execute_complete", timeout=self.timeout)

    def execute_complete(self, context: dict[str, Any], event: Any = None) -> None:
        """The trigger's event: the other run reached an allowed state."""
        if not event or event.get("status") != "success":
            raise AirflowException(f"{self.task_id}: unexpected event from the trigger: "
                                   f"{event!r}")
        print(f"{self.task_id}: the external DAG {self.external_dag_id} is done")

    def task_ids(self) -> list[str] | None:
        """The (rendered) task ids to wait for; None to wait for the whole run."""
        if self.external_task_id is not None:
            return [self.external_task_id]
        return list(self.external_task_ids) if self.external_task_ids is not None else None

    def logical_dates(self, context: dict[str, Any]) -> list[dt.datetime]:
        """The other DAG's logical dates to look at, from this run's logical date."""
        logical_date = context["logical_date"]
        if self.execution_delta is not None:
            found: Any = logical_date - self.execution_delta
        elif self.execution_date_fn is not None:
            given = {k: v for k, v in context.items()
                     if k not in ("logical_date", "execution_date")}
            given["context"] = context
            fn = self.execution_date_fn
            found = fn(logical_date, **context_kwargs(fn, given, {}))
        else:
            found = logical_date
        dates = found if isinstance(found, (list, tuple)) else [found]
        return [d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc) for d in dates]

    def poke(self, context: dict[str, Any]) -> bool:
        """Look the other run(s) up: fail or skip on a failed or skipped state, else done
        once every instance looked at is in an allowed state."""
        runs = launcher("cross_dag")
        task_ids, group = self.task_ids(), self.external_task_group_id
        if self.check_existence and not self._existence_checked:
            missing = runs.missing_tasks(self.external_dag_id, task_ids or ())
            if missing is None:
                raise AirflowException(f"The external DAG {self.external_dag_id} does not exist.")
            if missing:
                raise AirflowException(f"The external task(s) {', '.join(missing)} in DAG "
                                       f"{self.external_dag_id} do not exist.")
            if group is not None and not runs.has_task_group(self.external_dag_id, group):
                raise AirflowException(f"The external task group '{group}' in DAG "
                                       f"'{self.external_dag_id}' does not exist.")
            self._existence_checked = True
        what = f"DAG {self.external_dag_id}" if task_ids is None and group is None else \
            f"task group '{group}' of DAG {self.external_dag_id}" if group is not None else \
            f"task(s) {', '.join(task_ids or ())} of DAG {self.external_dag_id}"
        done = True
        for date in self.logical_dates(context):
            print(f"{self.task_id}: poking for {what} at {date.isoformat()}")
            found = runs.external_states(self.external_dag_id, date, task_ids, group)
            if group is not None:
                done = self._group_done(found, what, date) and done
                continue
            states, complete = _states_of(found, task_ids)
            if any(s in self.failed_states for s in states):
                raise AirflowFailException(f"The external {what} at {date.isoformat()} "
                                           f"failed (states: {', '.join(states)}).")
            if any(s in self.skipped_states for s in states):
                raise AirflowSkipException(f"The external {what} at {date.isoformat()} "
                                           f"was skipped (states: {', '.join(states)}).")
            done = done and complete and all(s in self.allowed_states for s in states)
        return done

    def _group_done(self, found: dict[str, list[str]] | str | None, what: str,
                    date: dt.datetime) -> bool:
        """A group counts as in a set of states when it has instances and all of them are
        (Airflow's `_get_count_by_matched_states`)."""
        states, _ = _states_of(found, None)
        seen = f"{what} at {date.isoformat()} (states: {', '.join(states)})"
        if states and all(s in self.failed_states for s in states):
            raise AirflowFailException(f"The external {seen} failed.")
        if states and all(s in self.skipped_states for s in states):
            raise AirflowSkipException(f"The external {seen} was skipped.")
        return bool(states) and all(s in self.allowed_states for s in states)


def _states_of(found: dict[str, list[str]] | str | None,
               task_ids: list[str] | None) -> tuple[list[str], bool]:
    """Every state looked at, and whether the run and each of the tasks were there."""
    if found is None:
        return [], False
    if isinstance(found, str):
        return [found], True
    states = [s for per_task in found.values() for s in per_task]
    return states, all(t in found for t in (task_ids or ()))


__all__ = ["ExternalTaskSensor"]
