"""`@task.sensor`: the decorated function is the poke, with the sensor's arguments."""
import datetime as dt

import pytest

from cluster.compat.namespace import airflow_names
from cluster.sdk.dag import DAG
from cluster.errors import AirflowRescheduleException, AirflowSensorTimeout, AirflowSkipException
from cluster.sdk.operators.python import task
from cluster.sdk.sensors import BaseSensorOperator, PokeReturnValue

UTC = dt.timezone.utc


class Ti:
    def __init__(self, xcoms=None):
        self.xcoms = xcoms or {}
        self.start_date = dt.datetime.now(UTC)
        self.reschedule_count = 0

    def xcom_pull(self, task_ids, key="return_value"):
        return self.xcoms[task_ids]


def test_the_function_pokes_until_done_and_its_xcom_value_is_returned():
    calls = []

    with DAG("d", schedule=None) as dag:
        @task.sensor(poke_interval=0, timeout=5)
        def wait_for_rows(logical_date) -> PokeReturnValue:
            calls.append(logical_date)
            return PokeReturnValue(is_done=len(calls) == 3, xcom_value={"rows": len(calls)})

        wait_for_rows()
    sensor = dag.get_task("wait_for_rows")
    assert isinstance(sensor, BaseSensorOperator)
    assert (sensor.poke_interval, sensor.timeout, sensor.multiple_outputs) == (0, 5, False)
    day = dt.datetime(2024, 3, 5, tzinfo=UTC)
    assert sensor.execute({"logical_date": day, "ti": Ti()}) == {"rows": 3}
    assert calls == [day] * 3


def test_a_bool_counts_by_truth_and_returns_no_value():
    with DAG("d", schedule=None) as dag:
        @task.sensor(poke_interval=0)
        def ready():
            return 1

        ready()
    assert dag.get_task("ready").execute({}) is None


def test_timeout_soft_fail_and_reschedule_are_the_sensor_ones():
    with DAG("d", schedule=None) as dag:
        @task.sensor(poke_interval=0.01, timeout=0.05)
        def never():
            return False

        @task.sensor(poke_interval=0.01, timeout=0.05, soft_fail=True)
        def soft():
            return PokeReturnValue(False)

        @task.sensor(poke_interval=30, mode="reschedule")
        def later():
            return False

        never(), soft(), later()
    with pytest.raises(AirflowSensorTimeout):
        dag.get_task("never").execute({})
    with pytest.raises(AirflowSkipException):
        dag.get_task("soft").execute({})
    with pytest.raises(AirflowRescheduleException):
        dag.get_task("later").execute({"ti": Ti()})


def test_xcom_arguments_are_upstreams_resolved_at_each_poke():
    with DAG("d", schedule=None) as dag:
        @task
        def table():
            return "orders"

        @task.sensor(poke_interval=0)
        def wait_for(name, *, minimum):
            return PokeReturnValue(True, xcom_value=f"{name}>={minimum}")

        wait_for(table(), minimum=2)
    sensor = dag.get_task("wait_for")
    assert sensor.upstream_task_ids == {"table"}
    assert sensor.execute({"ti": Ti({"table": "orders"})}) == "orders>=2"


def test_multiple_outputs_is_refused_and_ids_are_unique():
    with pytest.raises(TypeError, match="multiple_outputs"):
        task.sensor(multiple_outputs=True)(lambda: True)
    with DAG("d", schedule=None) as dag:
        @task.sensor(poke_interval=0)
        def probe() -> dict:
            return True

        probe(), probe()
    assert {t.task_id for t in dag.tasks} == {"probe", "probe__1"}
    assert dag.get_task("probe").multiple_outputs is False


def test_airflow_names():
    with airflow_names():
        from airflow.sdk import task as sdk_task
        from airflow.decorators import task as old_task
    assert sdk_task.sensor is not None and old_task.sensor is not None
