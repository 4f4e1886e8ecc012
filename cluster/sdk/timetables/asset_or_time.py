"""`AssetOrTimeSchedule`: a DAG runs on its timetable and also whenever its asset
condition holds (Airflow's `airflow.timetables.assets.AssetOrTimeSchedule`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.sdk.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction


class AssetOrTimeSchedule(Timetable):
    """Runs from `timetable` (scheduled runs) plus asset-triggered runs when `assets` holds.

    Parameters:
      timetable: a built-in timetable (CronTriggerTimetable, ...), which decides the
        scheduled runs and the interval of triggered ones.
      assets: an asset condition (an asset, `a & b`, `a | b`, a list meaning all).
    """

    def __init__(self, *, timetable: Timetable, assets: Any) -> None:
        from cluster.sdk.assets import condition_of

        if not isinstance(timetable, Timetable):
            raise DagDefinitionError(f"AssetOrTimeSchedule: timetable must be a Timetable, "
                                     f"got {timetable!r}")
        self.timetable = timetable
        self.asset_condition = condition_of(assets)
        if self.asset_condition is None:
            raise DagDefinitionError(f"AssetOrTimeSchedule needs assets, got {assets!r}")
        self.description = f"Triggered by assets or {timetable.description}"
        self.periodic = timetable.periodic
        self.can_be_scheduled = timetable.can_be_scheduled
        self.run_ordering = timetable.run_ordering
        self.active_runs_limit = timetable.active_runs_limit

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "AssetOrTimeSchedule":
        from cluster.sdk.assets import from_json
        from cluster.sdk.timetables.codec import decode  # the codec knows every built-in class, this one too

        return cls(timetable=decode(data["timetable"]),
                   assets=from_json(data["asset_condition"]))

    def serialize(self) -> dict[str, Any]:
        from cluster.sdk.timetables.codec import encode, is_builtin

        if not is_builtin(self.timetable):
            raise DagDefinitionError("AssetOrTimeSchedule: chordflow takes a built-in "
                                     f"timetable here, not {type(self.timetable).__name__}")
        return {"asset_condition": self.asset_condition.as_json(),
                "timetable": encode(self.timetable)}

    def validate(self) -> None:
        self.timetable.validate()

    @property
    def summary(self) -> str:
        return f"Asset or {self.timetable.summary}"

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return self.timetable.infer_manual_data_interval(run_after=run_after)

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        return self.timetable.next_dagrun_info(
            last_automated_data_interval=last_automated_data_interval, restriction=restriction)

    def generate_run_id(self, **kwargs: Any) -> str:
        return self.timetable.generate_run_id(**kwargs)


__all__ = ["AssetOrTimeSchedule"]
