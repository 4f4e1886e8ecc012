"""Deferrable operators and sensors, written the Airflow 3 way (the try waits for the trigger)."""
import asyncio
import datetime as dt

import pendulum
from airflow.sdk import DAG, BaseOperator, task
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor
from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.triggers.base import BaseTrigger, TriggerEvent

FLAG = "/nonexistent/flag"


class Never(BaseTrigger):
    def serialize(self):
        return ("ft_deferral.Never", {})

    async def run(self):
        while True:
            await asyncio.sleep(0.2)
        yield TriggerEvent("never")


class WaitThenAdd(BaseOperator):
    def __init__(self, *, x, **kwargs):
        super().__init__(**kwargs)
        self.x = x

    def execute(self, context):
        self.defer(trigger=TimeDeltaTrigger(dt.timedelta(seconds=1)), method_name="resume",
                   kwargs={"y": 2})

    def resume(self, context, event=None, y=0):
        print(f"resumed with event {event.isoformat()} and y={y}")
        return self.x + y


class WaitForever(BaseOperator):
    def execute(self, context):
        self.defer(trigger=Never(), method_name="resume", timeout=dt.timedelta(seconds=1))

    def resume(self, context, event=None):
        return "never here"


with DAG("ft_deferral", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None):
    added = WaitThenAdd(task_id="added", x=40)

    @task
    def show(value):
        print(f"got {value}")

    show(added.output)
    TimeDeltaSensor(task_id="delta", delta=dt.timedelta(seconds=-3600), deferrable=True)
    DateTimeSensorAsync(task_id="moment", target_time="{{ macros.datetime.utcnow() }}")

    # a file there at the first poke, on the worker and in a task container alike
    FileSensor(task_id="file", filepath="/etc/passwd", deferrable=True, poke_interval=0.2)
    WaitForever(task_id="forever")
    FileSensor(task_id="soft", filepath=FLAG + ".missing", deferrable=True, timeout=1,
               poke_interval=0.2, soft_fail=True)
    # its trigger looks the other DAG's run up every poll_interval; none comes: skipped
    ExternalTaskSensor(task_id="other_dag", external_dag_id="ft_deferral_absent", deferrable=True,
                       poll_interval=0.2, timeout=1, soft_fail=True)
