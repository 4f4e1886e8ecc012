"""Timetables and time zones (pure): Airflow's data intervals, read on a zone's wall clock."""
import datetime as dt
import zoneinfo

import pendulum
import pytest

from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError, UnsupportedFeatureError
from cluster.sdk.templating import date_context
from cluster.sdk.timetable_questions import due_runs, runs_between
from cluster.sdk.timetables import (CronDataIntervalTimetable, CronTriggerTimetable, DagRunInfo,
                                DataInterval, DeltaDataIntervalTimetable, DeltaTriggerTimetable,
                                EventsTimetable, MultipleCronTriggerTimetable, NullTimetable,
                                OnceTimetable, Timetable, TimeRestriction)
from cluster.sdk.timetables import base, codec
from cluster.timezones import localize, parse_zone, zone_name

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
UTC = dt.timezone.utc


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def walk(timetable, earliest, n, latest=None, catchup=True):
    out, last = [], None
    for _ in range(n):
        info = timetable.next_dagrun_info(last_automated_data_interval=last,
                                          restriction=TimeRestriction(earliest, latest, catchup))
        if info is None:
            break
        out.append(info)
        last = info.data_interval
    return out


@pytest.fixture
def now(monkeypatch):
    """Sets the clock catchup=False timetables read."""
    def set_now(when):
        monkeypatch.setattr(base, "utcnow", lambda: when)
    return set_now


def test_cron_in_a_zone_keeps_the_wall_clock_across_spring_forward():
    t = CronDataIntervalTimetable("0 2 * * *", AMS)
    infos = walk(t, dt.datetime(2024, 3, 29, tzinfo=AMS), 4)
    assert [i.logical_date for i in infos] == [
        utc(2024, 3, 29, 1), utc(2024, 3, 30, 1),
        utc(2024, 3, 31, 1),  # 02:00 does not exist that day: 03:00 CEST
        utc(2024, 4, 1, 0)]   # 02:00 CEST
    assert infos[2].data_interval == DataInterval(utc(2024, 3, 31, 1), utc(2024, 4, 1, 0))
    assert infos[0].run_after == infos[0].data_interval.end == utc(2024, 3, 30, 1)


def test_cron_in_a_zone_across_fall_back_takes_the_later_repeated_hour():
    t = CronDataIntervalTimetable("0 2 * * *", "Europe/Amsterdam")
    infos = walk(t, pendulum.datetime(2024, 10, 26, tz="Europe/Amsterdam"), 3)
    assert [i.logical_date for i in infos] == [utc(2024, 10, 26, 0), utc(2024, 10, 27, 1),
                                               utc(2024, 10, 28, 1)]


def test_an_hourly_cron_runs_the_repeated_hour_twice():
    t = CronDataIntervalTimetable("30 * * * *", AMS)
    infos = walk(t, dt.datetime(2024, 10, 27, 1, 30, tzinfo=AMS), 4)
    assert [i.logical_date for i in infos] == [utc(2024, 10, 26, 23, 30), utc(2024, 10, 27, 0, 30),
                                               utc(2024, 10, 27, 1, 30), utc(2024, 10, 27, 2, 30)]


def test_localize_follows_pendulum_for_skipped_and_repeated_times():
    tz = pendulum.timezone("Europe/Amsterdam")
    for naive in (dt.datetime(2024, 3, 31, 2, 30), dt.datetime(2024, 10, 27, 2, 30),
                  dt.datetime(2024, 6, 1, 12)):
        assert localize(naive, AMS).timestamp() == tz.convert(naive.replace(fold=1)).timestamp()


def test_without_catchup_only_the_latest_finished_interval(now):
    now(utc(2024, 5, 10, 13, 5))
    t = CronDataIntervalTimetable("0 12 * * *", "UTC")
    info = walk(t, utc(2024, 1, 1), 1, catchup=False)[0]
    assert info.data_interval == DataInterval(utc(2024, 5, 9, 12), utc(2024, 5, 10, 12))
    assert walk(t, utc(2024, 6, 1), 1, catchup=False)[0].logical_date == utc(2024, 6, 1, 12)


def test_a_timedelta_steps_in_absolute_time_across_dst():
    t = DeltaDataIntervalTimetable(dt.timedelta(days=1))
    infos = walk(t, dt.datetime(2024, 3, 30, 12, tzinfo=AMS), 3)
    assert [i.logical_date for i in infos] == [utc(2024, 3, 30, 11), utc(2024, 3, 31, 11),
                                               utc(2024, 4, 1, 11)]


def test_cron_trigger_runs_at_the_point_with_its_interval_before_it():
    t = CronTriggerTimetable("0 6 * * 1-5", timezone="Europe/Amsterdam",
                             interval=dt.timedelta(hours=1))
    infos = walk(t, utc(2024, 3, 29), 2)  # a Friday, then Monday after the DST change
    assert [i.run_after for i in infos] == [utc(2024, 3, 29, 5), utc(2024, 4, 1, 4)]
    assert infos[0].data_interval == DataInterval(utc(2024, 3, 29, 4), utc(2024, 3, 29, 5))
    assert infos[0].logical_date == utc(2024, 3, 29, 4)
    exact = CronTriggerTimetable("0 6 * * *", timezone="UTC")
    assert walk(exact, utc(2024, 1, 1), 1)[0] == DagRunInfo.exact(utc(2024, 1, 1, 6))


def test_delta_trigger_multiple_cron_events_once_and_null():
    assert [i.logical_date for i in walk(DeltaTriggerTimetable(dt.timedelta(hours=6)),
                                         utc(2024, 1, 1), 3)] == [
        utc(2024, 1, 1), utc(2024, 1, 1, 6), utc(2024, 1, 1, 12)]
    multi = MultipleCronTriggerTimetable("0 6 * * *", "30 18 * * *", timezone="UTC")
    assert [i.logical_date for i in walk(multi, utc(2024, 1, 1), 3)] == [
        utc(2024, 1, 1, 6), utc(2024, 1, 1, 18, 30), utc(2024, 1, 2, 6)]
    events = EventsTimetable([dt.datetime(2024, 2, 1), utc(2024, 1, 5), utc(2024, 3, 1)])
    assert [i.logical_date for i in walk(events, utc(2024, 1, 1), 9, latest=utc(2024, 2, 15))] \
        == [utc(2024, 1, 5), utc(2024, 2, 1)]
    assert [i.logical_date for i in walk(OnceTimetable(), utc(2024, 1, 1), 3)] == [utc(2024, 1, 1)]
    assert walk(NullTimetable(), utc(2024, 1, 1), 3) == []


def test_every_builtin_timetable_round_trips_through_its_stored_form():
    for t in (CronDataIntervalTimetable("@daily", AMS), DeltaDataIntervalTimetable(dt.timedelta(hours=3)),
              CronTriggerTimetable("0 6 * * *", timezone="+05:30", interval=dt.timedelta(hours=2),
                                   run_immediately=dt.timedelta(minutes=10)),
              DeltaTriggerTimetable(dt.timedelta(days=2)),
              MultipleCronTriggerTimetable("0 1 * * *", "0 13 * * *", timezone=AMS),
              EventsTimetable([utc(2024, 1, 1)], restrict_to_events=True),
              NullTimetable(), OnceTimetable()):
        again = codec.decode(codec.encode(t))
        assert type(again) is type(t) and again.serialize() == t.serialize()
        assert walk(again, utc(2024, 1, 1), 3) == walk(t, utc(2024, 1, 1), 3)


class EveryOtherDay(Timetable):
    def __init__(self, hour=0):
        self.hour = hour

    @classmethod
    def deserialize(cls, data):
        return cls(data["hour"])

    def serialize(self):
        return {"hour": self.hour}

    def next_dagrun_info(self, *, last_automated_data_interval, restriction):
        if last_automated_data_interval is None:
            start = restriction.earliest.replace(hour=self.hour)
        else:
            start = last_automated_data_interval.end
        return DagRunInfo.interval(start, start + dt.timedelta(days=2))


def test_a_user_timetable_is_stored_by_name_and_planned_until_now():
    stored = codec.encode(EveryOtherDay(3))
    assert stored == {"type": "custom", "class": "EveryOtherDay", "summary": "EveryOtherDay",
                      "periodic": True, "can_be_scheduled": True, "data": {"hour": 3}}
    assert codec.decode(stored) is None  # the scheduler asks the DAG file's class
    infos = due_runs(EveryOtherDay(3), None, TimeRestriction(utc(2024, 1, 1), None, True),
                     utc(2024, 1, 6), limit=10)
    assert [i.logical_date for i in infos] == [utc(2024, 1, 1, 3), utc(2024, 1, 3, 3)]
    assert len(due_runs(EveryOtherDay(), None, TimeRestriction(utc(2024, 1, 1), None, True),
                        utc(2025, 1, 1), limit=4)) == 4


def test_a_timetable_that_does_not_move_forward_is_an_error():
    class Stuck(Timetable):
        def next_dagrun_info(self, *, last_automated_data_interval, restriction):
            return DagRunInfo.exact(restriction.earliest)

    with pytest.raises(DagDefinitionError, match="did not move forward"):
        due_runs(Stuck(), None, TimeRestriction(utc(2024, 1, 1), None, True), utc(2024, 2, 1), 5)


def test_runs_between_covers_both_ends_across_dst():
    t = CronDataIntervalTimetable("0 2 * * *", AMS)
    infos = runs_between(t, utc(2024, 3, 30), utc(2024, 4, 1, 0), 10)
    assert [i.logical_date for i in infos] == [utc(2024, 3, 30, 1), utc(2024, 3, 31, 1),
                                               utc(2024, 4, 1, 0)]


def test_a_dag_is_scheduled_in_the_zone_of_its_start_date():
    dag = DAG("tz", schedule="0 2 * * *", start_date=pendulum.datetime(2024, 3, 30, tz="Europe/Amsterdam"))
    assert zone_name(dag.timezone) == "Europe/Amsterdam"
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.serialize() == {"expression": "0 2 * * *", "timezone": "Europe/Amsterdam"}
    assert zone_name(DAG("naive", schedule="@daily", start_date=dt.datetime(2024, 1, 1)).timezone) == "UTC"
    assert isinstance(DAG("none", schedule=None).timetable, NullTimetable)
    own = EveryOtherDay()
    assert DAG("own", schedule=own).timetable is own
    assert DAG("older", timetable=own).timetable is own


def test_dag_arguments_that_airflow_refuses_are_refused_by_name():
    with pytest.raises(UnsupportedFeatureError, match="timezone"):
        DAG("tz_arg", schedule="@daily", timezone="Europe/Amsterdam")
    with pytest.raises(DagDefinitionError, match="schedule and timetable"):
        DAG("both", schedule="@daily", timetable=NullTimetable())
    with pytest.raises(DagDefinitionError, match="@continuous"):
        DAG("cont", schedule="@continuous")
    with pytest.raises(DagDefinitionError, match="unknown time zone"):
        CronTriggerTimetable("0 0 * * *", timezone="Mars/Olympus")


def test_airflow2_schedule_methods_of_a_dag():
    dag = DAG("m", schedule="0 2 * * *", start_date=dt.datetime(2024, 3, 29, tzinfo=AMS),
              end_date=utc(2024, 4, 2), catchup=True)
    assert dag.following_schedule(utc(2024, 3, 30, 1)) == utc(2024, 3, 31, 1)
    assert dag.previous_schedule(utc(2024, 4, 1, 0)) == utc(2024, 3, 31, 1)
    assert dag.next_dagrun_info(None) == DagRunInfo.interval(utc(2024, 3, 29, 1), utc(2024, 3, 30, 1))
    assert dag.next_dagrun_info(utc(2024, 3, 31, 1)).logical_date == utc(2024, 4, 1, 0)
    assert dag.next_dagrun_info(DataInterval(utc(2024, 4, 2, 0), utc(2024, 4, 3, 0))) is None
    assert [i.logical_date for i in dag.iter_dagrun_infos_between(utc(2024, 3, 30), utc(2024, 4, 1))] \
        == [utc(2024, 3, 30, 1), utc(2024, 3, 31, 1), utc(2024, 4, 1, 0)]
    assert dag.get_run_dates(utc(2024, 3, 31), utc(2024, 4, 1, 0)) == [utc(2024, 3, 31, 1),
                                                                      utc(2024, 4, 1, 0)]
    with pytest.raises(UnsupportedFeatureError, match="get_last_dagrun"):
        dag.get_last_dagrun()


def test_template_dates_are_utc_and_the_interval_follows_the_zone():
    dag = DAG("d", schedule="0 2 * * *", start_date=dt.datetime(2024, 3, 1, tzinfo=AMS))
    ctx = date_context(utc(2024, 3, 31, 1), dag.timetable)
    assert ctx["ds"] == "2024-03-31" and ctx["ts"] == "2024-03-31T01:00:00+00:00"
    assert ctx["data_interval_start"] == utc(2024, 3, 31, 1)
    assert ctx["data_interval_end"] == utc(2024, 4, 1, 0)
    assert ctx["next_execution_date"] == utc(2024, 4, 1, 0) and ctx["prev_ds"] == "2024-03-30"
    late = date_context(utc(2024, 3, 30, 23), dag.timetable)
    assert late["ds"] == "2024-03-30"  # the UTC date, as in Airflow
    stored = date_context(utc(2024, 3, 31, 1), dag.timetable, (utc(2024, 1, 1), utc(2024, 1, 2)))
    assert stored["data_interval_end"] == utc(2024, 1, 2)


def test_zone_names():
    assert zone_name(dt.timezone(dt.timedelta(hours=-3, minutes=-30))) == "-03:30"
    assert parse_zone("-03:30").utcoffset(None) == dt.timedelta(hours=-3, minutes=-30)
    assert zone_name(pendulum.timezone("UTC")) == "UTC" and zone_name(UTC) == "UTC"
    assert zone_name(parse_zone("Asia/Kolkata")) == "Asia/Kolkata"


def test_time_sensor_reads_its_time_on_the_dags_wall_clock(monkeypatch):
    from cluster.sdk.sensors import TimeSensor, time_delta

    monkeypatch.setattr(time_delta, "_utcnow", lambda: utc(2024, 6, 1, 10, 30))  # 12:30 CEST
    with DAG("ts", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Amsterdam")):
        noon = TimeSensor(task_id="noon", target_time=dt.time(12, 0))
        one = TimeSensor(task_id="one", target_time=dt.time(13, 0))
        utc_noon = TimeSensor(task_id="utc_noon", target_time=dt.time(12, 0, tzinfo=UTC))
    assert noon.poke({}) is True and one.poke({}) is False and utc_noon.poke({}) is False
    with DAG("ts_utc", schedule=None, start_date=dt.datetime(2024, 1, 1)):
        assert TimeSensor(task_id="noon", target_time=dt.time(12, 0)).poke({}) is False


CUSTOM_FILE = '''
import datetime as dt
from airflow import DAG
from airflow.timetables.base import DagRunInfo, Timetable

class Hours(Timetable):
    def __init__(self, step=1):
        self.step = step
    @classmethod
    def deserialize(cls, data):
        return cls(data["step"])
    def serialize(self):
        return {"step": self.step}
    def next_dagrun_info(self, *, last_automated_data_interval, restriction):
        if restriction.earliest.year == 1999:
            raise RuntimeError("no runs in 1999")
        start = (last_automated_data_interval.end if last_automated_data_interval
                 else restriction.earliest)
        return DagRunInfo.interval(start, start.add(hours=self.step))  # a pendulum method

with DAG("hours", schedule=Hours(STEP), start_date=dt.datetime(2024, 1, 1)) as dag:
    pass
'''


def test_a_user_timetable_answers_in_a_child_from_its_stored_form(tmp_path):
    from cluster.sdk import timetable_questions as questions
    from cluster.control.parsing import FileImportError, ask_timetable, parse_file

    dag_file = tmp_path / "hours_dag.py"
    dag_file.write_text(CUSTOM_FILE.replace("STEP", "6"))
    [data] = parse_file(dag_file, str(tmp_path), timeout=20, memory_mb=1024)
    assert data["timetable"] == {"type": "custom", "class": "Hours", "summary": "Hours",
                                 "periodic": True, "can_be_scheduled": True, "data": {"step": 6}}
    dag_file.write_text(CUSTOM_FILE.replace("STEP", "2"))  # the stored version still says 6

    def ask(q):
        return questions.infos_of(ask_timetable(str(dag_file), "hours", q, timeout=20,
                                                memory_mb=1024))

    infos = ask(questions.question(questions.NEXT, data["timetable"], last=None, limit=3,
                                   now=utc(2024, 1, 1, 13),
                                   restriction=[utc(2024, 1, 1), None, True]))
    assert [i.data_interval for i in infos] == [DataInterval(utc(2024, 1, 1), utc(2024, 1, 1, 6)),
                                                DataInterval(utc(2024, 1, 1, 6), utc(2024, 1, 1, 12))]
    between = ask(questions.question(questions.BETWEEN, data["timetable"], limit=10,
                                     start=utc(2024, 1, 2), end=utc(2024, 1, 2, 12)))
    assert [i.logical_date for i in between] == [utc(2024, 1, 2), utc(2024, 1, 2, 6),
                                                 utc(2024, 1, 2, 12)]
    with pytest.raises(FileImportError, match="RuntimeError: no runs in 1999"):
        ask(questions.question(questions.NEXT, data["timetable"], last=None, limit=3,
                               now=utc(2024, 1, 1), restriction=[utc(1999, 1, 1), None, True]))
    with pytest.raises(FileImportError, match="now has timetable Hours, its version was made "
                                              "with Gone"):
        ask(questions.question(questions.NEXT, {**data["timetable"], "class": "Gone"}, last=None,
                               limit=3, now=utc(2024, 1, 1), restriction=[utc(2024, 1, 1), None, True]))
