"""BashSensor and DayOfWeekSensor: Airflow's exit-code and week-day semantics."""
import datetime as dt
import types

import pytest

from cluster.compat.namespace import airflow_names
from cluster.errors import AirflowFailException, AirflowSensorTimeout, AirflowSkipException, \
    DagDefinitionError
from cluster.sdk.operators.calendar_branch import WeekDay
from cluster.sdk.sensors import BashSensor, DayOfWeekSensor

UTC = dt.timezone.utc


def test_bash_sensor_is_done_on_exit_code_zero_and_not_yet_otherwise():
    assert BashSensor(task_id="ok", bash_command="exit 0").poke({}) is True
    assert BashSensor(task_id="no", bash_command="exit 1").poke({}) is False
    # with no retry_exit_code every non-zero code means "not yet", never a failure
    assert BashSensor(task_id="odd", bash_command="exit 7").poke({}) is False


def test_bash_sensor_retry_exit_code_separates_not_yet_from_failure():
    sensor = BashSensor(task_id="s", bash_command="exit 3", retry_exit_code=3)
    assert sensor.poke({}) is False
    failing = BashSensor(task_id="f", bash_command="exit 4", retry_exit_code=3, poke_interval=0)
    with pytest.raises(AirflowFailException, match="return code 4"):
        failing.execute({})
    soft = BashSensor(task_id="g", bash_command="exit 4", retry_exit_code=3, soft_fail=True,
                      poke_interval=0)
    with pytest.raises(AirflowSkipException):
        soft.execute({})


def test_bash_sensor_runs_in_a_temporary_folder_with_the_given_env(tmp_path, capsys):
    marker = tmp_path / "seen"
    sensor = BashSensor(task_id="env", env={"WHERE": str(marker), "PATH": "/usr/bin:/bin"},
                        bash_command='pwd > "$WHERE"; echo "HOME=${HOME:-unset}"; exit 0')
    assert sensor.poke({}) is True
    assert "airflowtmp" in marker.read_text()
    assert "HOME=unset" in capsys.readouterr().out  # env replaces the worker's environment
    assert set(BashSensor.template_fields) == {"bash_command", "env"}


def test_bash_sensor_times_out_and_soft_fail_skips():
    sensor = BashSensor(task_id="t", bash_command="exit 1", timeout=0.05, poke_interval=0.01)
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute({})
    soft = BashSensor(task_id="u", bash_command="exit 1", timeout=0.05, poke_interval=0.01,
                      soft_fail=True)
    with pytest.raises(AirflowSkipException):
        soft.execute({})


def test_day_of_week_sensor_on_the_logical_date():
    tuesday = {"logical_date": dt.datetime(2024, 3, 5, tzinfo=UTC)}
    assert DayOfWeekSensor(task_id="a", week_day="tuesday",
                           use_task_logical_date=True).poke(tuesday) is True
    assert DayOfWeekSensor(task_id="b", week_day={WeekDay.SATURDAY, "Sunday"},
                           use_task_logical_date=True).poke(tuesday) is False
    assert DayOfWeekSensor(task_id="c", week_day=[WeekDay.TUESDAY],
                           use_task_logical_date=True).poke(tuesday) is True
    by_run_after = {"logical_date": None,
                    "dag_run": types.SimpleNamespace(run_after=dt.datetime(2024, 3, 9, tzinfo=UTC))}
    assert DayOfWeekSensor(task_id="d", week_day="Saturday",
                           use_task_logical_date=True).poke(by_run_after) is True
    with pytest.raises(ValueError, match="run_after"):
        DayOfWeekSensor(task_id="e", week_day="Saturday", use_task_logical_date=True).poke({})


def test_day_of_week_sensor_on_today():
    today = WeekDay(dt.datetime.now(UTC).isoweekday())
    other = WeekDay(today % 7 + 1)
    # the logical date is ignored without use_task_logical_date
    context = {"logical_date": dt.datetime(2024, 3, 5, tzinfo=UTC)}
    assert DayOfWeekSensor(task_id="a", week_day=today).poke(context) is True
    assert DayOfWeekSensor(task_id="b", week_day=other.name.lower()).poke(context) is False


def test_day_of_week_sensor_refuses_an_unknown_day_when_defined():
    with pytest.raises(DagDefinitionError, match="Invalid Week Day.*Caturday"):
        DayOfWeekSensor(task_id="a", week_day="Caturday")
    with pytest.raises(DagDefinitionError, match="Unsupported Type"):
        DayOfWeekSensor(task_id="b", week_day=5)


def test_import_paths():
    with airflow_names():
        from airflow.providers.standard.sensors.bash import BashSensor as NewBash
        from airflow.providers.standard.sensors.weekday import DayOfWeekSensor as NewWeekday
        from airflow.sensors.bash import BashSensor as OldBash
        from airflow.sensors.weekday import DayOfWeekSensor as OldWeekday
    assert NewBash is OldBash is BashSensor and NewWeekday is OldWeekday is DayOfWeekSensor
