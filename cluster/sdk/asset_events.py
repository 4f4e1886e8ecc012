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
        from cluster.sdk.assets import Asset

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
    """URI -> events (oldest first), looked up when first read; `[Asset(...)]` works too,
    and `[AssetAlias(...)]` gives the events that came through that alias."""

    def __init__(self, load: Callable[[], list[AssetEventRecord]],
                 load_aliases: Callable[[], dict[str, list[AssetEventRecord]]] | None = None
                 ) -> None:
        self._load = load
        self._load_aliases = load_aliases
        self._events: dict[str, list[AssetEventRecord]] | None = None
        self._alias_events: dict[str, list[AssetEventRecord]] | None = None

    def alias_events(self) -> dict[str, list[AssetEventRecord]]:
        if self._alias_events is None:
            self._alias_events = dict(self._load_aliases()) if self._load_aliases else {}
        return self._alias_events

    def _all(self) -> dict[str, list[AssetEventRecord]]:
        if self._events is None:
            grouped: dict[str, list[AssetEventRecord]] = {}
            for event in self._load():
                grouped.setdefault(event.uri, []).append(event)
            self._events = grouped
        return self._events

    def __getitem__(self, key: Any) -> list[AssetEventRecord]:
        from cluster.sdk.assets import AssetAlias

        if isinstance(key, AssetAlias):
            return self.alias_events().get(key.name, [])
        return self._all()[getattr(key, "uri", key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def records(self) -> list[AssetEventRecord]:
        return [e for events in self._all().values() for e in events]

    def __repr__(self) -> str:
        return f"<asset events of {len(self)} asset(s)>"


class OutletEventAccessor:
    """What `outlet_events[asset]` is: the `extra` the asset's event will carry, and for
    an alias, the assets attached through it (`add(asset, extra=...)`)."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.extra: dict[str, Any] = {}
        self.asset_alias_events: list[tuple[Any, dict[str, Any]]] = []

    def add(self, asset: Any, extra: dict[str, Any] | None = None) -> None:
        from cluster.sdk.assets import Asset, AssetAlias

        if not isinstance(self.key, AssetAlias):
            raise TypeError(f"outlet_events[{self.key!r}].add(): only an AssetAlias takes "
                            "assets")
        if not isinstance(asset, Asset):
            raise TypeError(f"outlet_events[{self.key!r}].add() needs an Asset, got {asset!r}")
        self.asset_alias_events.append((asset, dict(extra or {})))


class OutletEventAccessors(Mapping[Any, OutletEventAccessor]):
    """The `outlet_events` context entry: per outlet (an Asset or an AssetAlias of the
    task's outlets), what its event will carry. Keys outside the outlets are refused, so
    extra data never silently goes nowhere."""

    def __init__(self, outlets: list[Any] | None = None) -> None:
        self._outlets = list(outlets or [])
        self._accessors: dict[Any, OutletEventAccessor] = {}

    def _key(self, key: Any) -> Any:
        from cluster.sdk.assets import Asset, AssetAlias

        if isinstance(key, str):  # a URI
            key = next((o for o in self._outlets if getattr(o, "uri", None) == key), key)
        if not isinstance(key, (Asset, AssetAlias)) or key not in self._outlets:
            raise KeyError(f"{key!r} is not one of the task's outlets "
                           f"({', '.join(map(repr, self._outlets)) or 'none'})")
        return key

    def __getitem__(self, key: Any) -> OutletEventAccessor:
        key = self._key(key)
        if key not in self._accessors:
            self._accessors[key] = OutletEventAccessor(key)
        return self._accessors[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._outlets)

    def __len__(self) -> int:
        return len(self._outlets)

    def as_json(self) -> dict[str, Any]:
        """What was set: extras by URI and the assets attached through aliases."""
        from cluster.sdk.assets import AssetAlias

        extras, attached = {}, []
        for key, accessor in self._accessors.items():
            if isinstance(key, AssetAlias):
                attached += [{"alias": key.name, "asset": asset.as_json()["asset"],
                              "extra": extra} for asset, extra in accessor.asset_alias_events]
            elif accessor.extra:
                extras[key.uri] = dict(accessor.extra)
        return {"extras": extras, "aliases": attached} if extras or attached else {}

    def load(self, data: Mapping[str, Any]) -> None:
        """Take in what the try reported (`as_json` of its own accessors)."""
        from cluster.sdk.assets import Asset

        for uri, extra in (data.get("extras") or {}).items():
            self[uri].extra.update(extra)
        for item in data.get("aliases") or ():
            a = item["asset"]
            self[next(o for o in self._outlets if getattr(o, "name", None) == item["alias"]
                      and not hasattr(o, "uri"))].add(
                Asset(a["name"], a["uri"], group=a.get("group"), extra=a.get("extra")),
                extra=item.get("extra"))


def run_generator(fn: Callable[..., Any], outlet_events: Any, args: Any, kwargs: Any) -> Any:
    """Call `fn`; when it is a generator, what it yields are `Metadata` for the outlets'
    events (Airflow's ExecutionCallableRunner) and what it returns is the task's value."""
    import inspect

    from cluster.sdk.assets import Metadata

    if not inspect.isgeneratorfunction(fn):
        return fn(*args, **kwargs)
    events = fn(*args, **kwargs)
    while True:
        try:
            item = next(events)
        except StopIteration as stop:
            return stop.value
        if not isinstance(item, Metadata):
            raise TypeError(f"a task may yield only Metadata(asset, extra), got {item!r}")
        if outlet_events is None:
            raise TypeError("Metadata yielded outside a task's run")
        outlet_events[item.asset].extra.update(item.extra)
        if item.alias is not None:
            outlet_events[item.alias].add(item.asset, extra=item.extra)
