"""What a timetable is (Airflow's `airflow.timetables.base`): the interface the scheduler asks
when a DAG's next run is due, and the small records it answers with."""
from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from cluster.timezones import to_utc


def utcnow() -> dt.datetime:
    """Now, in UTC: what catchup=False timetables compare against."""
    return dt.datetime.now(dt.timezone.utc)


class DataInterval(NamedTuple):
    """The span of data a run covers; both ends aware."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def exact(cls, at: dt.datetime) -> "DataInterval":
        return cls(start=at, end=at)


class TimeRestriction(NamedTuple):
    """Bounds from the DAG: no run before `earliest` (start_date) nor after `latest`
    (end_date), both inclusive; with `catchup` False missed intervals are not run."""

    earliest: dt.datetime | None
    latest: dt.datetime | None
    catchup: bool


class DagRunInfo(NamedTuple):
    """When a run may be created (`run_after`) and the data interval it covers."""

    run_after: dt.datetime
    data_interval: DataInterval

    @classmethod
    def exact(cls, at: dt.datetime) -> "DagRunInfo":
        return cls(run_after=at, data_interval=DataInterval.exact(at))

    @classmethod
    def interval(cls, start: dt.datetime, end: dt.datetime) -> "DagRunInfo":
        """A run over [start, end), created once the interval has ended."""
        return cls(run_after=end, data_interval=DataInterval(start, end))

    @property
    def logical_date(self) -> dt.datetime:
        return self.data_interval.start


class Timetable:
    """Decides a DAG's runs: subclass it and implement `next_dagrun_info` (and
    `infer_manual_data_interval` for triggered runs), as in Airflow.

    A timetable of a DAG file is stored with the DAG's version as `serialize()`; the
    scheduler rebuilds it with `deserialize()`.
    """

    description: str = ""
    periodic: bool = True
    can_be_scheduled: bool = True
    run_ordering: tuple[str, ...] = ("data_interval_end", "logical_date")
    active_runs_limit: int | None = None

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "Timetable":
        return cls()

    def serialize(self) -> dict[str, Any]:
        return {}

    def validate(self) -> None:
        """Raise for a malformed timetable (called when the DAG is built)."""

    @property
    def summary(self) -> str:
        return type(self).__name__

    @property
    def type_name(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}"

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        raise NotImplementedError(
            f"{type(self).__name__} does not say the data interval of a triggered run "
            "(infer_manual_data_interval)")

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        raise NotImplementedError(f"{type(self).__name__} does not implement next_dagrun_info")

    def generate_run_id(self, *, run_type: Any, run_after: dt.datetime,
                        data_interval: DataInterval | None, **extra: Any) -> str:
        kind = getattr(run_type, "value", run_type)
        return f"{kind}__{to_utc(run_after).isoformat()}"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.serialize() == other.serialize()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.summary}>"
