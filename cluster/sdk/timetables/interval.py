"""Timetables of data intervals (Airflow's `airflow.timetables.interval`): a run covers one
interval of the schedule and is created once that interval has ended. These are what
`schedule="0 2 * * *"`, a preset or a `timedelta` mean."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.timezones import to_utc
from cluster.sdk.timetables import base
from cluster.sdk.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.sdk.timetables.steps import CronSteps, DeltaSteps, decode_delta, encode_delta


class _DataIntervalTimetable(Timetable):
    _steps: Any

    def _skip_to_latest(self, earliest: dt.datetime | None) -> dt.datetime:
        raise NotImplementedError

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        earliest = restriction.earliest
        if not restriction.catchup:
            earliest = self._skip_to_latest(earliest)
        elif earliest is not None:
            earliest = self._steps.align_next(earliest)
        if last_automated_data_interval is None:
            if earliest is None:
                return None
            start = earliest
        else:
            # aligned: the schedule may have changed since the last run
            start = self._steps.align_prev(last_automated_data_interval.end)
            if earliest is not None:
                start = max(start, earliest)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start=to_utc(start), end=self._steps.next(start))


class CronDataIntervalTimetable(_DataIntervalTimetable):
    """Intervals between the points of a cron expression, read in `timezone`."""

    def __init__(self, cron: str, timezone: Any = "UTC") -> None:
        self._steps = CronSteps(cron, timezone)
        self.description = self._steps.expression

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "CronDataIntervalTimetable":
        return cls(data["expression"], data["timezone"])

    def serialize(self) -> dict[str, Any]:
        return {"expression": self._steps.expression, "timezone": self._steps.zone}

    @property
    def summary(self) -> str:
        return self._steps.expression

    def _skip_to_latest(self, earliest: dt.datetime | None) -> dt.datetime:
        """The start of the latest interval that has ended (one that ends exactly now
        counts)."""
        now = base.utcnow()
        last_start = self._steps.prev(now)
        if self._steps.next(last_start) == now:
            new_start = last_start
        else:
            new_start = self._steps.prev(last_start)
        if earliest is None:
            return new_start
        return max(new_start, self._steps.align_next(earliest))

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        """The last complete interval before `run_after`."""
        end = self._steps.align_prev(run_after)
        return DataInterval(start=self._steps.prev(end), end=to_utc(end))


class DeltaDataIntervalTimetable(_DataIntervalTimetable):
    """Intervals of a fixed length from the start date (`schedule=timedelta(...)`)."""

    def __init__(self, delta: Any) -> None:
        self._steps = DeltaSteps(delta)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "DeltaDataIntervalTimetable":
        return cls(decode_delta(data["delta"]))

    def serialize(self) -> dict[str, Any]:
        return {"delta": encode_delta(self._steps.delta)}

    @property
    def summary(self) -> str:
        return str(self._steps.delta)

    def _skip_to_latest(self, earliest: dt.datetime | None) -> dt.datetime:
        new_start = self._steps.prev(self._steps.round_down(base.utcnow()))
        if earliest is None:
            return new_start
        return max(new_start, to_utc(earliest))

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return DataInterval(start=self._steps.prev(run_after), end=to_utc(run_after))
