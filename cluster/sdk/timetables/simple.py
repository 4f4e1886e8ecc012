"""Timetables without a period (Airflow's `airflow.timetables.simple`): `schedule=None`
and `"@once"`."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.errors import DagDefinitionError
from cluster.timezones import to_utc
from cluster.sdk.timetables.base import DagRunInfo, DataInterval, Timetable, TimeRestriction


class _TrivialTimetable(Timetable):
    periodic = False
    run_ordering = ("logical_date",)

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return DataInterval.exact(to_utc(run_after))


class NullTimetable(_TrivialTimetable):
    """No scheduled runs, only triggered ones (`schedule=None`)."""

    can_be_scheduled = False
    description = "Never, external triggers only"

    @property
    def summary(self) -> str:
        return "None"

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        return None


class OnceTimetable(_TrivialTimetable):
    """One run, at the start date (`schedule="@once"`)."""

    description = "Once, as soon as possible"

    @property
    def summary(self) -> str:
        return "@once"

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        if last_automated_data_interval is not None or restriction.earliest is None:
            return None
        if restriction.latest is not None and restriction.earliest > restriction.latest:
            return None
        return DagRunInfo.exact(to_utc(restriction.earliest))


class AssetTriggeredTimetable(_TrivialTimetable):
    """Runs when the asset condition holds (`schedule=[Asset(...)]`), not on a clock."""

    description = "Triggered by assets"

    def __init__(self, assets: Any) -> None:
        from cluster.sdk.assets import condition_of

        self.asset_condition = condition_of(assets)
        if self.asset_condition is None:
            raise DagDefinitionError(f"AssetTriggeredTimetable needs assets, got {assets!r}")

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "AssetTriggeredTimetable":
        from cluster.sdk.assets import from_json

        return cls(from_json(data["asset_condition"]))

    def serialize(self) -> dict[str, Any]:
        return {"asset_condition": self.asset_condition.as_json()}

    @property
    def summary(self) -> str:
        return "Asset"

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        return None


DatasetTriggeredTimetable = AssetTriggeredTimetable
