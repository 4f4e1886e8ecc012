"""A run at each of a fixed list of instants (Airflow's `EventsTimetable`)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from cluster.errors import DagDefinitionError
from cluster.timezones import to_utc
from cluster.sdk.timetables import base
from cluster.sdk.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction


class EventsTimetable(Timetable):
    """Runs at the given dates (naive ones are UTC).

    Parameters:
      event_dates: the instants.
      restrict_to_events: a triggered run's data interval is the latest event before it
        (instead of the trigger instant).
      presorted: the dates are already in order (they are sorted anyway).
      description: shown for the DAG.
    """

    def __init__(self, event_dates: Iterable[dt.datetime], restrict_to_events: bool = False,
                 presorted: bool = False, description: str | None = None) -> None:
        dates = list(event_dates)
        if any(not isinstance(d, dt.datetime) for d in dates):
            raise DagDefinitionError("EventsTimetable: every event must be a datetime")
        self.event_dates = sorted(to_utc(d) for d in dates)
        self.restrict_to_events = restrict_to_events
        self.description = description or (
            f"{len(dates)} events" if dates else "No events")
        self._summary = self.description

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "EventsTimetable":
        return cls([dt.datetime.fromisoformat(d) for d in data["event_dates"]],
                   data["restrict_to_events"], True, data.get("description"))

    def serialize(self) -> dict[str, Any]:
        return {"event_dates": [d.isoformat() for d in self.event_dates],
                "restrict_to_events": self.restrict_to_events,
                "description": self.description}

    @property
    def summary(self) -> str:
        return self._summary

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        earliest = restriction.earliest
        if not restriction.catchup:
            passed = [d for d in self.event_dates if d <= base.utcnow()]
            if passed and (earliest is None or passed[-1] > earliest):
                earliest = passed[-1]
        after = last_automated_data_interval.end if last_automated_data_interval else None
        for when in self.event_dates:
            if after is not None and when <= after:
                continue
            if earliest is not None and when < earliest:
                continue
            if restriction.latest is not None and when > restriction.latest:
                return None
            return DagRunInfo.exact(when)
        return None

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        run_after = to_utc(run_after)
        if not self.restrict_to_events:
            return DataInterval.exact(run_after)
        before = [d for d in self.event_dates if d <= run_after]
        return DataInterval.exact(before[-1] if before else self.event_dates[0])
