"""The standard provider's triggers (`airflow.providers.standard.triggers.*`): a moment,
a delay, a file. A deferred try runs them itself (cluster/sdk/deferral.py)."""
from __future__ import annotations

import asyncio
import datetime as dt
import glob
import os
from typing import Any, AsyncIterator

import pendulum

from cluster.datetimes import convert_to_utc
from cluster.sdk.trigger_base import BaseTrigger, TriggerEvent
from cluster.sdk.deferral import TaskSuccessEvent


def _utcnow() -> pendulum.DateTime:
    return pendulum.now("UTC")


class DateTimeTrigger(BaseTrigger):
    """Fires at `moment` (an aware datetime) or at `target_time` (an ISO 8601 text or a
    datetime): its event's payload is the moment; with `end_from_trigger` the task ends
    successfully instead of resuming."""

    def __init__(self, moment: dt.datetime | None = None, *,
                 target_time: dt.datetime | str | None = None,
                 end_from_trigger: bool = False) -> None:
        super().__init__()
        if (moment is None) == (target_time is None):
            raise TypeError("DateTimeTrigger requires exactly one of 'moment' or 'target_time'")
        self.target_time = target_time
        self._moment: dt.datetime | None = None
        if moment is not None:
            if not isinstance(moment, dt.datetime):
                raise TypeError(f"Expected datetime.datetime type for moment. Got {type(moment)}")
            if moment.tzinfo is None:
                raise ValueError("You cannot pass naive datetimes")
            self._moment = convert_to_utc(moment)
        self.end_from_trigger = end_from_trigger

    @property
    def moment(self) -> dt.datetime:
        if self._moment is None:
            target = self.target_time
            text = target.isoformat() if isinstance(target, dt.datetime) else target
            if not isinstance(text, str) or not text:
                raise TypeError("DateTimeTrigger has neither a 'moment' nor a usable 'target_time'")
            self._moment = convert_to_utc(pendulum.parse(text, tz="UTC"))
        return self._moment

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = ({"target_time": self.target_time} if self._moment is None
                                  else {"moment": self._moment})
        kwargs["end_from_trigger"] = self.end_from_trigger
        return "airflow.providers.standard.triggers.temporal.DateTimeTrigger", kwargs

    async def run(self) -> AsyncIterator[Any]:
        """Sleep until the moment, in steps that follow the clock (as Airflow's)."""
        while True:
            remaining = (self.moment - _utcnow()).total_seconds()
            if remaining <= 0:
                break
            await asyncio.sleep(min(remaining, 1.0))
        if self.end_from_trigger:
            yield TaskSuccessEvent()
        else:
            yield TriggerEvent(self.moment)


class TimeDeltaTrigger(DateTimeTrigger):
    """A DateTimeTrigger `delta` from now."""

    def __init__(self, delta: dt.timedelta, *, end_from_trigger: bool = False) -> None:
        super().__init__(moment=_utcnow() + delta, end_from_trigger=end_from_trigger)


class FileTrigger(BaseTrigger):
    """Fires once `filepath` (a path or glob) matches a file, or a folder with files."""

    def __init__(self, filepath: str, recursive: bool = False, poke_interval: float = 5.0,
                 **kwargs: Any) -> None:
        super().__init__()
        self.filepath, self.recursive, self.poke_interval = filepath, recursive, poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("airflow.providers.standard.triggers.file.FileTrigger",
                {"filepath": self.filepath, "recursive": self.recursive,
                 "poke_interval": self.poke_interval})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            for path in glob.glob(self.filepath, recursive=self.recursive):
                if os.path.isfile(path) or any(files for _, _, files in os.walk(path)):
                    self.log.info("Found %s", path)
                    yield TriggerEvent(True)
                    return
            await asyncio.sleep(self.poke_interval)


class FileDeleteTrigger(BaseTrigger):
    """Fires once the file `filepath` exists, and deletes it."""

    def __init__(self, filepath: str, poke_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__()
        self.filepath, self.poke_interval = filepath, poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("airflow.providers.standard.triggers.file.FileDeleteTrigger",
                {"filepath": self.filepath, "poke_interval": self.poke_interval})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while not os.path.isfile(self.filepath):
            await asyncio.sleep(self.poke_interval)
        os.unlink(self.filepath)
        yield TriggerEvent(True)


class PokeTrigger(BaseTrigger):
    """Fires once `check()` is true, asking every `poke_interval` seconds (a deferred
    sensor whose Airflow trigger polls what its poke reads: ExternalTaskSensor)."""

    def __init__(self, check: Any, poke_interval: float, payload: Any = None) -> None:
        super().__init__()
        self.check, self.poke_interval, self.payload = check, poke_interval, payload

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # checked on the loop's own thread: it is the only trigger of its loop, and the
        # try's output capture follows this thread
        while not self.check():
            await asyncio.sleep(self.poke_interval)
        yield TriggerEvent(self.payload)


__all__ = ["DateTimeTrigger", "TimeDeltaTrigger", "FileTrigger", "FileDeleteTrigger"]
