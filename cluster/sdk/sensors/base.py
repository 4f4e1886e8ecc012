"""BaseSensorOperator: a task that waits for a condition by poking it until it holds."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Callable

from cluster.sdk.exceptions import TaskDeferralError, TaskDeferralTimeout
from cluster.errors import (AirflowException, AirflowFailException, AirflowRescheduleException,
                      AirflowSensorTimeout, AirflowSkipException, DagDefinitionError,
                      UnsupportedFeatureError)
from cluster.sdk.operators.base import BaseOperator

MODES = ("poke", "reschedule")


class PokeReturnValue:
    """What `poke` may return instead of a bool: done or not, and the XCom value when done.

    Parameters:
      is_done: whether the condition holds.
      xcom_value: the sensor's return value (its XCom `return_value`) once done.
    """

    def __init__(self, is_done: bool, xcom_value: Any = None) -> None:
        self.is_done = is_done
        self.xcom_value = xcom_value

    def __bool__(self) -> bool:
        return bool(self.is_done)

    def __repr__(self) -> str:
        return f"<PokeReturnValue is_done={self.is_done!r} xcom_value={self.xcom_value!r}>"


class BaseSensorOperator(BaseOperator):
    """Pokes until `poke(context)` is true; subclasses implement `poke`.

    Parameters:
      poke_interval: seconds (or a timedelta) between pokes.
      timeout: seconds (or a timedelta) after which the sensor gives up: it fails with
        AirflowSensorTimeout (no retries), or is skipped when `soft_fail`.
      soft_fail: skip instead of failing on timeout or on an AirflowFailException.
      mode: "poke" keeps the worker slot and sleeps between pokes; "reschedule" pokes
        once per try and raises AirflowRescheduleException to be run again later.
      exponential_backoff: double the interval after each poke, capped by `max_wait`.
      max_wait: the longest interval between pokes (seconds or a timedelta).
      silent_fail: an unexpected error in `poke` counts as "not yet" instead of failing.
    """

    ui_color = "#e6f1f2"
    valid_modes = MODES
    # How the sensor waits between pokes in poke mode; tests replace it on an instance.
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(
        self,
        *,
        poke_interval: dt.timedelta | float = 60,
        timeout: dt.timedelta | float = 7 * 24 * 3600,
        soft_fail: bool = False,
        mode: str = "poke",
        exponential_backoff: bool = False,
        max_wait: dt.timedelta | float | None = None,
        silent_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        name = f"{type(self).__name__}({kwargs.get('task_id')!r})"
        if mode not in MODES:
            raise DagDefinitionError(
                f"{name}: mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.poke_interval = _duration(name, "poke_interval", poke_interval)
        self.timeout = _duration(name, "timeout", timeout)
        self.max_wait = None if max_wait is None else _duration(name, "max_wait", max_wait)
        super().__init__(**kwargs)
        self.mode = mode
        self.soft_fail = bool(soft_fail)
        self.exponential_backoff = bool(exponential_backoff)
        self.silent_fail = bool(silent_fail)

    @property
    def reschedule(self) -> bool:
        return self.mode == "reschedule"

    def poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        """Whether the condition holds now; subclasses override this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement poke()")

    def next_poke_interval(self, pokes: int) -> float:
        """Seconds to wait after the `pokes`-th poke: the interval, doubled each time with
        exponential backoff, never above `max_wait`."""
        interval = self.poke_interval
        if self.exponential_backoff:
            interval = interval * 2 ** max(pokes - 1, 0)
        if self.max_wait is not None:
            interval = min(interval, self.max_wait)
        return interval

    def execute(self, context: dict[str, Any]) -> Any:
        if self.reschedule:
            return self._execute_reschedule(context)
        started = time.monotonic()
        pokes = 0
        while True:
            pokes += 1
            done = self._poke(context)
            if done:
                return _xcom_value(done)
            elapsed = time.monotonic() - started
            if elapsed > self.timeout:
                self._time_out(elapsed)
            wait = min(self.next_poke_interval(pokes), max(self.timeout - elapsed, 0.0))
            print(f"{self.task_id}: not yet (poke {pokes}); next poke in {wait:g}s")
            self.sleep(wait)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None,
                         context: dict[str, Any]) -> Any:
        """After a deferral, as in Airflow: a trigger that timed out fails the sensor with
        AirflowSensorTimeout, and `soft_fail` turns that or an error into a skip."""
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except TaskDeferralTimeout as exc:
            if self.soft_fail:
                raise AirflowSkipException(f"{self.task_id}: {exc} (soft_fail)") from exc
            raise AirflowSensorTimeout(f"{self.task_id}: the trigger did not fire within the "
                                       f"timeout of {self.timeout:g}s") from exc
        except (AirflowSkipException, AirflowRescheduleException):
            raise
        except (AirflowException, TaskDeferralError) as exc:
            if self.soft_fail:
                raise AirflowSkipException(f"{self.task_id}: {exc} (soft_fail)") from exc
            raise

    def _execute_reschedule(self, context: dict[str, Any]) -> Any:
        now = dt.datetime.now(dt.timezone.utc)
        ti = context.get("ti")
        first = getattr(ti, "start_date", None) or now
        pokes = int(getattr(ti, "reschedule_count", 0) or 0) + 1
        done = self._poke(context)
        if done:
            return _xcom_value(done)
        now = dt.datetime.now(dt.timezone.utc)
        elapsed = (now - first).total_seconds()
        if elapsed > self.timeout:
            self._time_out(elapsed)
        when = now + dt.timedelta(seconds=self.next_poke_interval(pokes))
        print(f"{self.task_id}: not yet (poke {pokes}); rescheduled for {when.isoformat()}")
        raise AirflowRescheduleException(when)

    def _poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        """One poke; a soft-failing sensor turns a hard failure into a skip."""
        try:
            return self.poke(context)
        except AirflowFailException as exc:
            if self.soft_fail:
                raise AirflowSkipException(f"{self.task_id}: {exc} (soft_fail)") from exc
            raise
        except (AirflowSkipException, AirflowRescheduleException):
            raise
        except Exception as exc:
            if not self.silent_fail:
                raise
            print(f"{self.task_id}: poke failed, counted as not yet (silent_fail): "
                  f"{type(exc).__name__}: {exc}")
            return False

    def _time_out(self, elapsed: float) -> None:
        message = f"Sensor has timed out; run duration of {elapsed:.2f}s exceeds timeout " \
                  f"{self.timeout:g}s"
        if self.soft_fail:
            raise AirflowSkipException(f"{message} (soft_fail)")
        raise AirflowSensorTimeout(message)


def refuse_trigger_start(name: str, start_from_trigger: bool, trigger_kwargs: Any) -> None:
    """`start_from_trigger` starts a task in Airflow's triggerer, which chordflow lacks."""
    if start_from_trigger or trigger_kwargs:
        raise UnsupportedFeatureError(
            f"{name}: start_from_trigger / trigger_kwargs are not supported by chordflow (they "
            "start the task in Airflow's triggerer); deferrable=True waits for the trigger "
            "in the try")


def _xcom_value(done: bool | PokeReturnValue) -> Any:
    return done.xcom_value if isinstance(done, PokeReturnValue) else None


def _duration(name: str, arg: str, value: Any) -> float:
    """Seconds from a number or a timedelta; anything else, or a negative, is an error."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise DagDefinitionError(
            f"{name}: {arg} must be a number of seconds or a timedelta, got {value!r}")
    if seconds < 0 or seconds != seconds:
        raise DagDefinitionError(f"{name}: {arg} must be 0 or more, got {value!r}")
    return seconds


__all__ = ["BaseSensorOperator", "PokeReturnValue"]
