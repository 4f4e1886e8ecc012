"""Asset events as a task's context offers them: `triggering_asset_events` (Airflow 2's
`triggering_dataset_events`) and `inlet_events`, keyed by asset or URI (pure)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Iterator, Mapping


@dataclasses.dataclass(frozen=True)
class AssetEventRecord:
    """One update of an asset (Airflow's `AssetEvent` / `DatasetEvent`)."""

    id: int
    uri: str
    name: str
    extra: dict[str, Any]
    timestamp: dt.datetime
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int

    @property
    def asset(self) -> Any:
        from .assets import Asset

        return Asset(self.name, self.uri)

    @property
    def dataset(self) -> Any:
        return self.asset

    @property
    def dataset_uri(self) -> str:
        return self.uri

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "timestamp": self.timestamp.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AssetEventRecord":
        return cls(**{**data, "timestamp": dt.datetime.fromisoformat(data["timestamp"])})


class AssetEventsByAsset(Mapping[str, list[AssetEventRecord]]):
    """URI -> events (oldest first), looked up when first read; `[Asset(...)]` works too."""

    def __init__(self, load: Callable[[], list[AssetEventRecord]]) -> None:
        self._load = load
        self._events: dict[str, list[AssetEventRecord]] | None = None

    def _all(self) -> dict[str, list[AssetEventRecord]]:
        if self._events is None:
            grouped: dict[str, list[AssetEventRecord]] = {}
            for event in self._load():
                grouped.setdefault(event.uri, []).append(event)
            self._events = grouped
        return self._events

    def __getitem__(self, key: Any) -> list[AssetEventRecord]:
        return self._all()[getattr(key, "uri", key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def records(self) -> list[AssetEventRecord]:
        return [e for events in self._all().values() for e in events]

    def __repr__(self) -> str:
        return f"<asset events of {len(self)} asset(s)>"
