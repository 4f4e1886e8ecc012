"""The schedule questions a DAG answers (Airflow 2's `DAG.following_schedule`,
`previous_schedule`, `next_dagrun_info`, `iter_dagrun_infos_between`), asked of its
timetable; pure, no store."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from cluster.errors import UnsupportedFeatureError
from cluster.sdk.timetables import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.sdk.timetables.interval import _DataIntervalTimetable
from cluster.timezones import to_utc


class DagScheduleMethods:
    """Mixed into `DAG`; needs `timetable`, `start_date`, `end_date`, `catchup`."""

    timetable: Timetable
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    catchup: bool | None

    def time_restriction(self, catchup_by_default: bool = False) -> TimeRestriction:
        catchup = catchup_by_default if self.catchup is None else self.catchup
        return TimeRestriction(to_utc(self.start_date) if self.start_date else None,
                               to_utc(self.end_date) if self.end_date else None, bool(catchup))

    def infer_automated_data_interval(self, logical_date: dt.datetime) -> DataInterval:
        """The data interval a scheduled run of this logical date covers."""
        return interval_of(self.timetable, to_utc(logical_date))

    def next_dagrun_info(self, last_automated_dagrun: DataInterval | dt.datetime | None, *,
                         restricted: bool = True) -> DagRunInfo | None:
        """The run after `last_automated_dagrun` (an interval, or the last logical date);
        `restricted=False` ignores start_date, end_date and catchup."""
        if isinstance(last_automated_dagrun, dt.datetime):
            last_automated_dagrun = self.infer_automated_data_interval(last_automated_dagrun)
        restriction = self.time_restriction() if restricted else TimeRestriction(None, None, True)
        return self.timetable.next_dagrun_info(
            last_automated_data_interval=last_automated_dagrun, restriction=restriction)

    def following_schedule(self, dttm: dt.datetime) -> dt.datetime | None:
        """The logical date of the scheduled run after the one of `dttm`."""
        steps = getattr(self.timetable, "_steps", None)
        if steps is not None:
            return steps.next(dttm)
        info = self.next_dagrun_info(self.infer_automated_data_interval(dttm), restricted=False)
        return info.logical_date if info else None

    def previous_schedule(self, dttm: dt.datetime) -> dt.datetime | None:
        """The logical date of the scheduled run before `dttm` (None without intervals)."""
        if not isinstance(self.timetable, _DataIntervalTimetable):
            return None
        return self.timetable._steps.prev(dttm)

    def iter_dagrun_infos_between(self, earliest: dt.datetime | None, latest: dt.datetime, *,
                                  align: bool = True) -> Iterator[DagRunInfo]:
        """The scheduled runs between two dates, both included; with `align=False` a run
        at `earliest` comes first even off the schedule."""
        earliest = to_utc(earliest) if earliest is not None else (
            to_utc(self.start_date) if self.start_date else None)
        if earliest is None:
            raise ValueError(f"DAG {getattr(self, 'dag_id', '?')!r} has no start_date: give "
                             "`earliest`")
        latest = to_utc(latest)
        restriction = TimeRestriction(earliest, latest, True)
        info = self.timetable.next_dagrun_info(last_automated_data_interval=None,
                                               restriction=restriction)
        if info is None:
            return
        if not align and info.logical_date != earliest:
            yield DagRunInfo.interval(earliest, info.run_after)
        while info is not None and info.logical_date <= latest:
            yield info
            info = self.timetable.next_dagrun_info(
                last_automated_data_interval=info.data_interval, restriction=restriction)

    def get_run_dates(self, start_date: dt.datetime, end_date: dt.datetime | None = None
                      ) -> list[dt.datetime]:
        """The logical dates of the scheduled runs between two dates."""
        end = end_date or dt.datetime.now(dt.timezone.utc)
        return [i.logical_date for i in self.iter_dagrun_infos_between(start_date, end)]

    def get_last_dagrun(self, *args: Any, **kwargs: Any) -> Any:
        raise UnsupportedFeatureError(
            "DAG.get_last_dagrun reads Airflow's metadata database, which chordflow does not "
            "expose to DAG code; use `chordflow runs list DAG_ID`, or in a task the "
            "`prev_...` template values")


def interval_of(timetable: Timetable, logical_date: dt.datetime) -> DataInterval:
    """The data interval of a run of this logical date under a built-in timetable: the
    schedule's interval starting there, else what a triggered run gets."""
    if isinstance(timetable, _DataIntervalTimetable):
        return DataInterval(logical_date, timetable._steps.next(logical_date))
    interval = getattr(timetable, "_interval", None)
    if interval is not None:  # trigger timetables: the interval ends at the trigger
        return DataInterval(logical_date, to_utc(logical_date + interval))
    return timetable.infer_manual_data_interval(run_after=logical_date)
