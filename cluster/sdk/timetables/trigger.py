"""Trigger timetables (Airflow's `airflow.timetables.trigger`): a run at each point of the
schedule, right at that point, over an optional data interval that ends there."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.timezones import to_utc
from cluster.sdk.timetables import base
from cluster.sdk.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.sdk.timetables.steps import CronSteps, DeltaSteps, decode_delta, encode_delta


class _TriggerTimetable(Timetable):
    _steps: Any
    _interval: Any = dt.timedelta(0)

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return DataInterval(to_utc(run_after - self._interval), to_utc(run_after))

    def _first_run(self) -> dt.datetime:
        return self._steps.align_prev(base.utcnow())

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        last = last_automated_data_interval
        if restriction.catchup:
            if last is not None:
                when = self._steps.next(last.end)
            elif restriction.earliest is None:
                when = self._first_run()
            else:
                when = self._steps.align_next(restriction.earliest)
        else:
            candidates = [self._steps.align_prev(base.utcnow())]
            if last is not None:
                candidates.append(self._steps.next(last.end))
            elif restriction.earliest is None:
                candidates.append(self._first_run())
            if restriction.earliest is not None:
                candidates.append(self._steps.align_next(restriction.earliest))
            when = max(to_utc(c) for c in candidates)
        if restriction.latest is not None and restriction.latest < when:
            return None
        return DagRunInfo.interval(to_utc(when - self._interval), to_utc(when))


class CronTriggerTimetable(_TriggerTimetable):
    """A run at each point of a cron expression read in `timezone`.

    Parameters:
      cron: the expression or preset.
      timezone: the zone whose wall clock the expression is read on.
      interval: the length of each run's data interval, ending at its point (default 0).
      run_immediately: without a start date, whether the most recent past point runs at
        once (True), never (False), or when it is at most this `timedelta` ago.
    """

    def __init__(self, cron: str, *, timezone: Any, interval: Any = dt.timedelta(0),
                 run_immediately: bool | dt.timedelta = False) -> None:
        self._steps = CronSteps(cron, timezone)
        self._interval = interval
        if not isinstance(run_immediately, (bool, dt.timedelta)):
            raise DagDefinitionError(f"run_immediately must be a bool or a timedelta, got "
                                     f"{run_immediately!r}")
        self._run_immediately = run_immediately
        self.description = self._steps.expression

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "CronTriggerTimetable":
        immediately = data.get("run_immediately", False)
        if not isinstance(immediately, bool):
            immediately = dt.timedelta(seconds=float(immediately))
        return cls(data["expression"], timezone=data["timezone"],
                   interval=decode_delta(data["interval"]), run_immediately=immediately)

    def serialize(self) -> dict[str, Any]:
        immediately = self._run_immediately
        return {"expression": self._steps.expression, "timezone": self._steps.zone,
                "interval": encode_delta(self._interval),
                "run_immediately": immediately if isinstance(immediately, bool)
                else immediately.total_seconds()}

    @property
    def summary(self) -> str:
        return self._steps.expression

    def _first_run(self) -> dt.datetime:
        now = base.utcnow()
        past, upcoming = self._steps.align_prev(now), self._steps.align_next(now)
        if self._run_immediately is True:
            return past
        if isinstance(self._run_immediately, dt.timedelta):
            buffer = self._run_immediately
        else:
            buffer = max((upcoming - past) / 10, dt.timedelta(minutes=5))
        return past if now - past <= buffer else upcoming


class DeltaTriggerTimetable(_TriggerTimetable):
    """A run every `delta`, right at each point (Airflow 3)."""

    def __init__(self, delta: Any, *, interval: Any = dt.timedelta(0)) -> None:
        self._steps = DeltaSteps(delta)
        self._interval = interval

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "DeltaTriggerTimetable":
        return cls(decode_delta(data["delta"]), interval=decode_delta(data["interval"]))

    def serialize(self) -> dict[str, Any]:
        return {"delta": encode_delta(self._steps.delta),
                "interval": encode_delta(self._interval)}

    @property
    def summary(self) -> str:
        return str(self._steps.delta)


class MultipleCronTriggerTimetable(Timetable):
    """A run whenever any of several cron expressions fires (one run per instant)."""

    def __init__(self, *crons: str, timezone: Any, interval: Any = dt.timedelta(0),
                 run_immediately: bool | dt.timedelta = False) -> None:
        if not crons:
            raise DagDefinitionError("MultipleCronTriggerTimetable needs a cron expression")
        self._timetables = [CronTriggerTimetable(c, timezone=timezone, interval=interval,
                                                 run_immediately=run_immediately)
                            for c in crons]
        self.description = ", ".join(t.description for t in self._timetables)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "MultipleCronTriggerTimetable":
        first = CronTriggerTimetable.deserialize({**data, "expression": data["expressions"][0]})
        return cls(*data["expressions"], timezone=data["timezone"],
                   interval=first._interval, run_immediately=first._run_immediately)

    def serialize(self) -> dict[str, Any]:
        first = self._timetables[0].serialize()
        del first["expression"]
        return {**first, "expressions": [t.summary for t in self._timetables]}

    @property
    def summary(self) -> str:
        return ", ".join(t.summary for t in self._timetables)

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return min((t.infer_manual_data_interval(run_after=run_after) for t in self._timetables),
                   key=lambda i: i.start)

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        infos = [t.next_dagrun_info(last_automated_data_interval=last_automated_data_interval,
                                    restriction=restriction) for t in self._timetables]
        now = base.utcnow().timestamp()

        def key(info: DagRunInfo | None) -> float:
            if info is None:
                return math.inf
            stamp = info.logical_date.timestamp()
            # without catchup: the latest point not in the future, else the soonest one
            return -stamp if not restriction.catchup and stamp <= now else stamp

        return min(infos, key=key)
