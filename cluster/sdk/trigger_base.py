"""What triggers are built from (Airflow's `airflow.triggers.base`): `BaseTrigger`, the
events it yields, and the `log` property Airflow's classes share (`LoggingMixin`).

A deferred try runs its trigger itself (cluster/sdk/deferral.py).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any


class LoggingMixin:
    """A `log` property: a logger named by the object's class, as Airflow's."""

    _log: logging.Logger | None = None

    @property
    def log(self) -> logging.Logger:
        if self._log is None:
            cls = type(self)
            self._log = logging.getLogger(f"{cls.__module__}.{cls.__qualname__}")
        return self._log


class BaseTrigger(LoggingMixin):
    """Airflow's trigger base class: `run()` is an async generator of TriggerEvents.

    chordflow runs a deferred task's trigger in the try itself (cluster/sdk/deferral.py).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def serialize(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__} does not implement serialize()")

    async def run(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement run()")
        yield  # pragma: no cover - an async generator, as Airflow's

    async def cleanup(self) -> None:
        """Called once the trigger's run is over."""

    def __repr__(self) -> str:
        try:
            path, kwargs = self.serialize()
        except NotImplementedError:
            return f"<{type(self).__name__}>"
        return f"<{path.rpartition('.')[2]} {kwargs}>"


BaseEventTrigger = BaseTrigger


@dataclasses.dataclass
class StartTriggerArgs:
    """Where an operator that starts in a trigger would start (`start_from_trigger`, which
    chordflow refuses by name: a deferring operator runs its trigger in the try)."""

    trigger_cls: str
    next_method: str
    trigger_kwargs: dict[str, Any] | None = None
    next_kwargs: dict[str, Any] | None = None
    timeout: dt.timedelta | None = None


class TriggerEvent:
    """What a trigger yields: one payload."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TriggerEvent) and other.payload == self.payload

    def __repr__(self) -> str:
        return f"TriggerEvent<{self.payload!r}>"
