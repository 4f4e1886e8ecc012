"""The two questions the scheduler asks a DAG's timetable (pure): which runs are due now,
and which runs a backfill of a date range makes. Built-in timetables answer in the
scheduler; a user's class answers in a DAG file processor child, through `answer`, which
speaks JSON."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.sdk.timetables import DagRunInfo, DataInterval, Timetable, TimeRestriction
from cluster.sdk.timetables import codec
from cluster.timezones import to_utc

NEXT, BETWEEN = "next", "between"


def due_runs(timetable: Timetable, last: DataInterval | None, restriction: TimeRestriction,
             now: dt.datetime, limit: int) -> list[DagRunInfo]:
    """The runs to create now, oldest first: each next run whose `run_after` has come."""
    out: list[DagRunInfo] = []
    while len(out) < limit:
        info = _next(timetable, last, restriction)
        if info is None or info.run_after > now:
            break
        out.append(info)
        last = info.data_interval
    return out


def runs_between(timetable: Timetable, start: dt.datetime, end: dt.datetime,
                 limit: int) -> list[DagRunInfo]:
    """The runs whose logical dates lie in [start, end], at most `limit` of them."""
    restriction = TimeRestriction(to_utc(start), to_utc(end), True)
    out: list[DagRunInfo] = []
    last = None
    while len(out) < limit:
        info = _next(timetable, last, restriction)
        if info is None or info.logical_date > to_utc(end):
            break
        out.append(info)
        last = info.data_interval
    return out


def _next(timetable: Timetable, last: DataInterval | None,
          restriction: TimeRestriction) -> DagRunInfo | None:
    info = timetable.next_dagrun_info(last_automated_data_interval=_user_dates(last),
                                      restriction=_user_dates(restriction))
    if info is None:
        return None
    if not isinstance(info, DagRunInfo) and not hasattr(info, "data_interval"):
        raise DagDefinitionError(f"{type(timetable).__name__}.next_dagrun_info returned "
                                 f"{info!r}, not a DagRunInfo or None")
    start, end = (to_utc(d) for d in info.data_interval)
    info = DagRunInfo(to_utc(info.run_after), DataInterval(start, end))
    if last is not None and info.logical_date <= to_utc(last.start):
        raise DagDefinitionError(
            f"{type(timetable).__name__}.next_dagrun_info did not move forward: after the "
            f"interval starting {to_utc(last.start).isoformat()} it gave "
            f"{info.logical_date.isoformat()}")
    return info


def _user_dates(value: Any) -> Any:
    """The dates a timetable is given, as pendulum DateTimes like Airflow's (a user's
    timetable may call `.add()`, `.in_timezone()`, `DateTime.combine` ...)."""
    try:
        import pendulum
    except ImportError:  # pragma: no cover - pendulum is a dependency
        return value
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return pendulum.instance(to_utc(value))
    if isinstance(value, DataInterval):
        return DataInterval(*(_user_dates(v) for v in value))
    if isinstance(value, TimeRestriction):
        return TimeRestriction(_user_dates(value.earliest), _user_dates(value.latest),
                               value.catchup)
    return value


def question(kind: str, stored: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A question for `answer`, dates as ISO texts."""
    def iso(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return to_utc(v).isoformat()
        if isinstance(v, (tuple, list)):
            return [iso(x) for x in v]
        return v

    return {"kind": kind, "stored": stored, **{k: iso(v) for k, v in fields.items()}}


def answer(timetable: Timetable, q: dict[str, Any]) -> list[list[str]]:
    """Answer a question with the DAG's timetable rebuilt as its version stored it."""
    stored = q["stored"]
    if stored.get("class") != type(timetable).__qualname__:
        raise DagDefinitionError(f"the DAG file now has timetable {type(timetable).__qualname__}"
                                 f", its version was made with {stored.get('class')}")
    timetable = type(timetable).deserialize(stored.get("data") or {})
    if q["kind"] == NEXT:
        last = DataInterval(*(_date(v) for v in q["last"])) if q.get("last") else None
        earliest, latest, catchup = q["restriction"]
        infos = due_runs(timetable, last, TimeRestriction(_date(earliest), _date(latest),
                                                          bool(catchup)),
                         _date(q["now"]), int(q["limit"]))
    elif q["kind"] == BETWEEN:
        infos = runs_between(timetable, _date(q["start"]), _date(q["end"]), int(q["limit"]))
    else:
        raise ValueError(f"unknown timetable question {q['kind']!r}")
    return [[i.run_after.isoformat(), i.data_interval.start.isoformat(),
             i.data_interval.end.isoformat()] for i in infos]


def infos_of(rows: list[list[str]]) -> list[DagRunInfo]:
    return [DagRunInfo(_date(a), DataInterval(_date(s), _date(e))) for a, s, e in rows]


def _date(text: str | None) -> dt.datetime | None:
    return to_utc(dt.datetime.fromisoformat(text)) if text else None


def stored_timetable(data: dict[str, Any]) -> Timetable | None:
    """The built-in timetable of a stored DAG version (None: the user's own class).

    Versions stored before timetables were kept have only their schedule text."""
    if "timetable" in data:
        return codec.decode(data["timetable"])
    from cluster.sdk.schedules import from_text

    return codec.from_schedule(from_text(data.get("schedule")), dt.timezone.utc)
