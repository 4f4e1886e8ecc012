"""Sensors on their own: poke and reschedule modes, timeouts, backoff, and the simple sensors."""
import datetime as dt
import json
import types

import pytest

from cluster.sdk import secrets
from cluster.compat.namespace import airflow_names
from cluster.sdk.dag import DAG
from cluster.errors import (AirflowException, AirflowFailException, AirflowRescheduleException,
                            AirflowSensorTimeout, AirflowSkipException, DagDefinitionError)
from cluster.sdk.sensors import (BaseSensorOperator, DateTimeSensor, ExternalTaskSensor, FileSensor,
                             PokeReturnValue, PythonSensor, TimeDeltaSensor, TimeSensor)

UTC = dt.timezone.utc


def now():
    return dt.datetime.now(UTC)


def ctx(**extra):
    logical = dt.datetime(2024, 3, 5, tzinfo=UTC)
    return {"logical_date": logical, "data_interval_start": logical,
            "data_interval_end": logical + dt.timedelta(days=1), "params": {}, **extra}


class Counter:
    """True from the n-th call on."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self):
        self.calls += 1
        return self.calls >= self.n


def test_poke_mode_returns_once_the_callable_is_true():
    check = Counter(4)
    sensor = PythonSensor(task_id="s", python_callable=check, poke_interval=0.01, timeout=5)
    assert sensor.execute(ctx()) is None
    assert check.calls == 4


def test_poke_return_value_is_the_xcom_and_context_names_are_passed():
    seen = {}

    def ready(n, logical_date, templates_dict):
        seen.update(n=n, ds=logical_date.date(), td=templates_dict)
        return PokeReturnValue(True, xcom_value={"rows": n})

    sensor = PythonSensor(task_id="s", python_callable=ready, op_args=[3],
                          templates_dict={"a": 1}, poke_interval=0)
    assert sensor.execute(ctx()) == {"rows": 3}
    assert seen == {"n": 3, "ds": dt.date(2024, 3, 5), "td": {"a": 1}}
    not_done = PythonSensor(task_id="t", python_callable=lambda: PokeReturnValue(False, 1),
                            poke_interval=0, timeout=0)
    with pytest.raises(AirflowSensorTimeout):
        not_done.execute(ctx())


def test_timeout_fails_without_retries_and_soft_fail_skips():
    sensor = PythonSensor(task_id="s", python_callable=lambda: False, poke_interval=0.01,
                          timeout=0.05)
    with pytest.raises(AirflowSensorTimeout, match="timed out") as info:
        sensor.execute(ctx())
    assert isinstance(info.value, AirflowFailException)
    soft = PythonSensor(task_id="s", python_callable=lambda: False, poke_interval=0.01,
                        timeout=0.05, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        soft.execute(ctx())


def test_failures_inside_poke_soft_and_silent():
    def boom():
        raise AirflowFailException("source gone")

    soft = PythonSensor(task_id="s", python_callable=boom, soft_fail=True, poke_interval=0)
    with pytest.raises(AirflowSkipException, match="source gone"):
        soft.execute(ctx())
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("not reachable yet")
        return True

    silent = PythonSensor(task_id="s", python_callable=flaky, silent_fail=True, poke_interval=0)
    assert silent.execute(ctx()) is None and len(calls) == 3
    loud = PythonSensor(task_id="s", python_callable=lambda: 1 / 0, poke_interval=0)
    with pytest.raises(ZeroDivisionError):
        loud.execute(ctx())


def test_exponential_backoff_doubles_up_to_max_wait():
    sensor = PythonSensor(task_id="s", python_callable=Counter(6), poke_interval=1,
                          exponential_backoff=True, max_wait=dt.timedelta(seconds=10))
    waits = []
    sensor.sleep = waits.append
    sensor.execute(ctx())
    assert waits == [1, 2, 4, 8, 10]
    assert [sensor.next_poke_interval(n) for n in (1, 2, 3)] == [1, 2, 4]
    plain = PythonSensor(task_id="p", python_callable=Counter(3), poke_interval=5)
    plain.sleep = waits.append
    waits.clear()
    plain.execute(ctx())
    assert waits == [5, 5]


def test_the_last_wait_stops_at_the_timeout():
    sensor = PythonSensor(task_id="s", python_callable=lambda: False, poke_interval=100,
                          timeout=0.2)
    waits = []
    sensor.sleep = waits.append
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute(ctx())
    assert waits and all(w <= 0.2 for w in waits)


def test_reschedule_mode_asks_to_be_run_again_later():
    sensor = PythonSensor(task_id="s", python_callable=lambda: False, mode="reschedule",
                          poke_interval=30)
    before = now()
    with pytest.raises(AirflowRescheduleException) as info:
        sensor.execute(ctx(ti=types.SimpleNamespace()))
    when = info.value.reschedule_date
    assert when.tzinfo is not None
    assert before + dt.timedelta(seconds=30) <= when <= now() + dt.timedelta(seconds=30)
    assert isinstance(info.value, AirflowException)
    done = PythonSensor(task_id="d", python_callable=lambda: PokeReturnValue(True, 7),
                        mode="reschedule")
    assert done.execute(ctx()) == 7


def test_reschedule_backoff_counts_earlier_pokes():
    sensor = PythonSensor(task_id="s", python_callable=lambda: False, mode="reschedule",
                          poke_interval=10, exponential_backoff=True, max_wait=60)
    ti = types.SimpleNamespace(start_date=now(), reschedule_count=2)
    with pytest.raises(AirflowRescheduleException) as info:
        sensor.execute(ctx(ti=ti))
    wait = (info.value.reschedule_date - now()).total_seconds()
    assert 38 < wait <= 40  # the third poke: 10 * 2**2


def test_reschedule_times_out_from_the_first_poke():
    ti = types.SimpleNamespace(start_date=now() - dt.timedelta(hours=2), reschedule_count=40)
    sensor = PythonSensor(task_id="s", python_callable=lambda: False, mode="reschedule",
                          poke_interval=60, timeout=dt.timedelta(hours=1))
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute(ctx(ti=ti))
    sensor.soft_fail = True
    with pytest.raises(AirflowSkipException):
        sensor.execute(ctx(ti=ti))
    ti.start_date = None  # no first poke known: this one is the first
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(ctx(ti=ti))


class NoSecrets:
    def get_variable(self, key):
        return None

    def get_connection(self, conn_id):
        return None


@pytest.fixture
def no_backend():
    secrets.use_backend(NoSecrets(), thread_only=True)
    yield
    secrets.use_backend(None, thread_only=True)


def test_file_sensor_globs_under_the_connection_path(tmp_path, monkeypatch, no_backend):
    data = tmp_path / "data"
    data.mkdir()
    sensor = FileSensor(task_id="f", filepath=str(data / "part-*.csv"), poke_interval=0)
    assert sensor.poke(ctx()) is False
    (data / "part-001.csv").write_text("x")
    assert sensor.poke(ctx()) is True
    # relative to the connection's extra `path`, recursively
    monkeypatch.setenv("AIRFLOW_CONN_FS_DATA", json.dumps(
        {"conn_type": "fs", "extra": {"path": str(tmp_path)}}))
    deep = FileSensor(task_id="g", filepath="**/*.csv", fs_conn_id="fs_data", recursive=True)
    shallow = FileSensor(task_id="h", filepath="*.csv", fs_conn_id="fs_data")
    assert deep.poke(ctx()) is True and shallow.poke(ctx()) is False
    # a directory counts once a file is somewhere in it
    (tmp_path / "empty").mkdir()
    folder = FileSensor(task_id="d", filepath="empty", fs_conn_id="fs_data")
    assert folder.poke(ctx()) is False
    (tmp_path / "empty" / "sub").mkdir()
    (tmp_path / "empty" / "sub" / "f").write_text("")
    assert folder.poke(ctx()) is True


def test_file_sensor_filepath_is_templated():
    assert "filepath" in FileSensor.template_fields
    assert "target_time" in DateTimeSensor.template_fields


def test_time_sensors():
    context = ctx(data_interval_end=now() - dt.timedelta(minutes=5))
    assert TimeDeltaSensor(task_id="a", delta=dt.timedelta(minutes=1)).poke(context) is True
    assert TimeDeltaSensor(task_id="b", delta=dt.timedelta(minutes=10)).poke(context) is False
    no_interval = {"logical_date": now() - dt.timedelta(minutes=5)}
    assert TimeDeltaSensor(task_id="c", delta=dt.timedelta(minutes=1)).poke(no_interval)
    past, future = now() - dt.timedelta(hours=1), now() + dt.timedelta(hours=1)
    assert DateTimeSensor(task_id="d", target_time=past).poke(ctx()) is True
    assert DateTimeSensor(task_id="e", target_time=future.isoformat()).poke(ctx()) is False
    assert DateTimeSensor(task_id="f", target_time="2001-01-01T00:00:00").poke(ctx()) is True
    assert TimeSensor(task_id="g", target_time=dt.time(0, 0)).poke(ctx()) in (True, False)
    assert TimeSensor(task_id="h", target_time=dt.time(23, 59, 59, 999999)).poke(ctx()) is False


@pytest.mark.parametrize("kwargs, message", [
    (dict(mode="sometimes"), "mode must be one of poke, reschedule"),
    (dict(poke_interval=-1), "poke_interval must be 0 or more"),
    (dict(poke_interval="10"), "poke_interval must be a number of seconds or a timedelta"),
    (dict(timeout=dt.timedelta(seconds=-5)), "timeout must be 0 or more"),
    (dict(timeout=None), "timeout must be a number"),
    (dict(max_wait=-2), "max_wait must be 0 or more"),
])
def test_arguments_are_checked_when_the_dag_is_defined(kwargs, message):
    with DAG("bad_sensor", schedule=None) as dag:
        with pytest.raises(DagDefinitionError, match=message) as info:
            PythonSensor(task_id="wait_here", python_callable=bool, **kwargs)
    assert "wait_here" in str(info.value)
    assert not dag.has_task("wait_here")


def test_default_args_reach_sensor_arguments():
    with DAG("defaults", schedule=None,
             default_args={"poke_interval": 7, "mode": "reschedule", "retries": 2}):
        sensor = PythonSensor(task_id="s", python_callable=bool)
    assert (sensor.poke_interval, sensor.mode, sensor.retries) == (7.0, "reschedule", 2)
    assert PythonSensor(task_id="x", python_callable=bool,
                        poke_interval=dt.timedelta(minutes=2)).poke_interval == 120.0


def test_external_task_sensor_arguments():
    with pytest.raises(DagDefinitionError, match="not both"):
        ExternalTaskSensor(task_id="e", external_dag_id="o", external_task_id="a",
                           external_task_ids=["b"])
    with pytest.raises(DagDefinitionError, match="not both"):
        ExternalTaskSensor(task_id="e", external_dag_id="o", execution_delta=dt.timedelta(1),
                           execution_date_fn=lambda d: d)
    with pytest.raises(DagDefinitionError, match="unknown state"):
        ExternalTaskSensor(task_id="e", external_dag_id="o", allowed_states=["done"])
    with pytest.raises(DagDefinitionError, match="both allowed and failed"):
        ExternalTaskSensor(task_id="e", external_dag_id="o", external_task_id="a",
                           failed_states=["success"])
    shifted = ExternalTaskSensor(task_id="e", external_dag_id="o",
                                 execution_delta=dt.timedelta(hours=1))
    assert shifted.logical_dates(ctx()) == [dt.datetime(2024, 3, 4, 23, tzinfo=UTC)]
    by_fn = ExternalTaskSensor(
        task_id="f", external_dag_id="o",
        execution_date_fn=lambda d, context: [d, context["data_interval_end"]])
    assert by_fn.logical_dates(ctx()) == [dt.datetime(2024, 3, 5, tzinfo=UTC),
                                          dt.datetime(2024, 3, 6, tzinfo=UTC)]
    naming = ExternalTaskSensor(task_id="g", external_dag_id="o",
                                execution_date_fn=lambda dt_, ds: dt.datetime.fromisoformat(ds))
    assert naming.logical_dates(ctx(ds="2024-01-01")) == [dt.datetime(2024, 1, 1, tzinfo=UTC)]


def test_airflow_import_paths():
    with airflow_names():
        from airflow.exceptions import AirflowRescheduleException as Resched
        from airflow.exceptions import AirflowSensorTimeout as Timeout
        from airflow.providers.standard.sensors.external_task import ExternalTaskSensor as Ext
        from airflow.providers.standard.sensors.filesystem import FileSensor as NewFile
        from airflow.providers.standard.sensors.python import PythonSensor as NewPython
        from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor as NewDelta
        from airflow.sdk import BaseSensorOperator as SdkBase
        from airflow.sdk import PokeReturnValue as SdkPoke
        from airflow.sensors.base import BaseSensorOperator as Base
        from airflow.sensors.base import PokeReturnValue as Poke
        from airflow.sensors.base_sensor_operator import BaseSensorOperator as OldBase
        from airflow.sensors.date_time import DateTimeSensor as DateTime
        from airflow.sensors.external_task import ExternalTaskSensor as Ext2
        from airflow.sensors.external_task_sensor import ExternalTaskSensor as OldExt
        from airflow.sensors.filesystem import FileSensor as File
        from airflow.sensors.python import PythonSensor as Python
        from airflow.sensors.time_delta import TimeDeltaSensor as Delta
    assert Base is OldBase is SdkBase is BaseSensorOperator and Poke is SdkPoke is PokeReturnValue
    assert Python is NewPython is PythonSensor and File is NewFile is FileSensor
    assert Delta is NewDelta is TimeDeltaSensor and DateTime is DateTimeSensor
    assert Ext is Ext2 is OldExt is ExternalTaskSensor
    assert Timeout is AirflowSensorTimeout and Resched is AirflowRescheduleException


def test_a_custom_sensor_subclass():
    class Ready(BaseSensorOperator):
        def __init__(self, *, after: int, **kwargs):
            super().__init__(**kwargs)
            self.after, self.calls = after, 0

        def poke(self, context):
            self.calls += 1
            return self.calls >= self.after

    with DAG("custom", schedule=None, default_args={"poke_interval": 0}):
        sensor = Ready(task_id="r", after=2)
    assert sensor.execute(ctx()) is None and sensor.calls == 2
    with pytest.raises(NotImplementedError):
        BaseSensorOperator(task_id="b").poke(ctx())
