"""DAGs the timetable tests unpause: a cron read in Europe/Amsterdam across the spring DST
change, a timetable of the file's own, and a cron trigger timetable."""
import datetime as dt

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable
from airflow.timetables.trigger import CronTriggerTimetable

from _record import mark


def record(dag_run=None, ds=None, ts=None, data_interval_start=None, data_interval_end=None,
           prev_ds=None, next_ds=None, logical_date=None):
    mark(f"{dag_run.dag_id}.txt",
         f"{ds} {ts} {data_interval_start.isoformat()} {data_interval_end.isoformat()} "
         f"{prev_ds} {next_ds} {dag_run.run_id}")


with DAG("tt_amsterdam", schedule="0 2 * * *",
         start_date=pendulum.datetime(2024, 3, 29, tz="Europe/Amsterdam"),
         end_date=pendulum.datetime(2024, 4, 1, 12, tz="Europe/Amsterdam"),
         catchup=True, max_active_runs=4) as tt_amsterdam:
    PythonOperator(task_id="record", python_callable=record)
    BashOperator(task_id="templated", bash_command=(
        "echo \"$(date +%s) {{ ds }} {{ ts }} {{ data_interval_end }}\" "
        "| tee -a \"${CHORDFLOW_TEST_OUT:-/tmp}/tt_amsterdam_bash.txt\""))


class SkipWeekends(Timetable):
    """Daily intervals at `hour` UTC, Monday to Friday (Airflow's documented example)."""

    def __init__(self, hour: int = 0) -> None:
        self.hour = hour

    @classmethod
    def deserialize(cls, data):
        return cls(data["hour"])

    def serialize(self):
        return {"hour": self.hour}

    def _next_workday(self, day: dt.date) -> dt.date:
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    def _at(self, day: dt.date) -> pendulum.DateTime:
        return pendulum.datetime(day.year, day.month, day.day, self.hour, tz="UTC")

    def infer_manual_data_interval(self, *, run_after):
        day = run_after.date() - dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return DataInterval(self._at(day), self._at(day).add(days=1))

    def next_dagrun_info(self, *, last_automated_data_interval, restriction):
        if last_automated_data_interval is not None:
            day = last_automated_data_interval.start.date() + dt.timedelta(days=1)
        elif restriction.earliest is None:
            return None
        else:
            day = restriction.earliest.date()
        day = self._next_workday(day)
        start = self._at(day)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start=start, end=start + dt.timedelta(days=1))

    @property
    def summary(self) -> str:
        return f"workdays at {self.hour:02d}:00"


with DAG("tt_custom", schedule=SkipWeekends(hour=6), start_date=dt.datetime(2024, 1, 4),
         end_date=dt.datetime(2024, 1, 9, 12), catchup=True, max_active_runs=4) as tt_custom:
    PythonOperator(task_id="record", python_callable=record)

with DAG("tt_trigger", schedule=CronTriggerTimetable("0 6 * * 1-5", timezone="Europe/Amsterdam",
                                                     interval=dt.timedelta(hours=1)),
         start_date=dt.datetime(2024, 3, 28), catchup=False,
         is_paused_upon_creation=True) as tt_trigger:
    PythonOperator(task_id="record", python_callable=record)
