"""Assets (Airflow 3's `Asset`, Airflow 2's `Dataset`) and the conditions DAGs wait on.

A task lists assets in `outlets`: each success of it records an asset event. A DAG with
`schedule=[asset, ...]` (or `a & b`, `a | b`, `AssetAll`, `AssetAny`) gets a run once
its condition holds over the assets updated since its last asset-triggered run.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from cluster.errors import DagDefinitionError


class BaseAsset:
    """What can be an asset condition: an asset, or all/any of several."""

    def __and__(self, other: "BaseAsset") -> "AssetAll":
        _check_condition(other)
        return AssetAll(self, other)

    def __or__(self, other: "BaseAsset") -> "AssetAny":
        _check_condition(other)
        return AssetAny(self, other)

    def iter_assets(self) -> Iterator["Asset"]:
        raise NotImplementedError

    def iter_aliases(self) -> Iterator["AssetAlias"]:
        return iter(())

    def evaluate(self, updated: Mapping[str, bool]) -> bool:
        """Whether the condition holds, given which asset URIs were updated."""
        raise NotImplementedError

    def as_json(self) -> dict[str, Any]:
        raise NotImplementedError


class Asset(BaseAsset):
    """A piece of data tasks produce and DAGs consume, named by a URI.

    Parameters:
      name: its name (the URI when only one of the two is given).
      uri: where it lives, e.g. "s3://bucket/key" (the name when not given).
      group: a free label ("asset" by default).
      extra: JSON-able details kept with it.
    """

    group_default = "asset"

    def __init__(self, name: str | None = None, uri: str | None = None, *,
                 group: str | None = None, extra: dict[str, Any] | None = None,
                 watchers: Any = None, access_control: Any = None) -> None:
        if watchers:
            raise DagDefinitionError("Asset(watchers=...) is not supported by chordflow "
                                     "(there is no triggerer)")
        if access_control is not None:
            # Airflow 3.3 filters asset events by the producing and consuming DAGs' teams
            # (multi-team mode); chordflow DAGs belong to no team, so it could mean nothing
            raise DagDefinitionError("Asset(access_control=...) is not supported by chordflow "
                                     "(it filters asset events by team in Airflow's multi-team "
                                     "mode; chordflow has no teams)")
        if name is None and uri is None:
            raise DagDefinitionError(f"{type(self).__name__} needs a name or a uri")
        self.name = _text("name", name if name is not None else uri)
        self.uri = _text("uri", uri if uri is not None else name)
        self.group = group or self.group_default
        if extra is not None and not isinstance(extra, dict):
            raise DagDefinitionError(f"{type(self).__name__}({self.uri!r}): extra must be a "
                                     f"dict, got {extra!r}")
        self.extra = dict(extra or {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Asset) and other.uri == self.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"

    def iter_assets(self) -> Iterator["Asset"]:
        yield self

    def evaluate(self, updated: Mapping[str, bool]) -> bool:
        return bool(updated.get(self.uri))

    def as_json(self) -> dict[str, Any]:
        return {"asset": {"uri": self.uri, "name": self.name, "group": self.group,
                          "extra": self.extra}}


class AssetAlias(BaseAsset):
    """A name a task attaches assets to at run time (`outlet_events[alias].add(asset)`):
    a DAG scheduled on it runs when an event comes through it, and from then on whenever
    one of the assets it resolved to is updated, as in Airflow.

    Parameters:
      name: the alias's name.
      group: a free label ("asset" by default).
    """

    def __init__(self, name: str, group: str = "asset") -> None:
        self.name = _text("name", name)
        self.group = group or "asset"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssetAlias) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("alias", self.name))

    def __repr__(self) -> str:
        return f"AssetAlias({self.name!r})"

    def iter_assets(self) -> Iterator["Asset"]:
        return iter(())

    def iter_aliases(self) -> Iterator["AssetAlias"]:
        yield self

    def evaluate(self, updated: Mapping[str, bool]) -> bool:
        return bool(updated.get(alias_key(self.name)))

    def as_json(self) -> dict[str, Any]:
        return {"alias": {"name": self.name, "group": self.group}}


def alias_key(name: str) -> str:
    """How an alias's updates are named where URIs name assets' (no URI contains it)."""
    return f"\0alias:{name}"


class Metadata:
    """What a task yields to put extra data on an asset's event (and attach it through an
    alias): `yield Metadata(asset, {"rows": 10}, alias=...)`."""

    def __init__(self, asset: Asset, extra: dict[str, Any] | None = None,
                 alias: AssetAlias | str | None = None) -> None:
        if not isinstance(asset, Asset):
            raise TypeError(f"Metadata needs an Asset, got {asset!r}")
        self.asset, self.extra = asset, dict(extra or {})
        self.alias = AssetAlias(alias) if isinstance(alias, str) else alias


class Dataset(Asset):
    """Airflow 2's name for an asset: `Dataset(uri, extra=None)`."""

    group_default = "dataset"

    def __init__(self, uri: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(uri, uri, extra=extra)


class _Combined(BaseAsset):
    kind = ""

    def __init__(self, *objects: BaseAsset) -> None:
        for obj in objects:
            _check_condition(obj)
        if not objects:
            raise DagDefinitionError(f"{type(self).__name__} needs at least one asset")
        self.objects = list(objects)

    def iter_assets(self) -> Iterator[Asset]:
        seen = set()
        for obj in self.objects:
            for asset in obj.iter_assets():
                if asset.uri not in seen:
                    seen.add(asset.uri)
                    yield asset

    def iter_aliases(self) -> Iterator["AssetAlias"]:
        for obj in self.objects:
            yield from obj.iter_aliases()

    def as_json(self) -> dict[str, Any]:
        return {self.kind: [o.as_json() for o in self.objects]}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.objects))})"


class AssetAll(_Combined):
    """Every one of the assets (or conditions) was updated: `a & b`."""

    kind = "all"

    def __and__(self, other: BaseAsset) -> "AssetAll":
        _check_condition(other)
        return AssetAll(*self.objects, other)

    def evaluate(self, updated: Mapping[str, bool]) -> bool:
        return all(o.evaluate(updated) for o in self.objects)


class AssetAny(_Combined):
    """At least one of the assets (or conditions) was updated: `a | b`."""

    kind = "any"

    def __or__(self, other: BaseAsset) -> "AssetAny":
        _check_condition(other)
        return AssetAny(*self.objects, other)

    def evaluate(self, updated: Mapping[str, bool]) -> bool:
        return any(o.evaluate(updated) for o in self.objects)


DatasetAll, DatasetAny, DatasetAlias = AssetAll, AssetAny, AssetAlias


def from_json(data: dict[str, Any]) -> BaseAsset:
    """The inverse of `as_json`."""
    if "asset" in data:
        a = data["asset"]
        return Asset(a["name"], a["uri"], group=a.get("group"), extra=a.get("extra"))
    if "alias" in data:
        return AssetAlias(data["alias"]["name"], data["alias"].get("group") or "asset")
    kind, parts = next(iter(data.items()))
    cls = {"all": AssetAll, "any": AssetAny}[kind]
    return cls(*(from_json(p) for p in parts))


def condition_of(schedule: Any) -> BaseAsset | None:
    """The asset condition a `schedule` names (a list of assets means all of them), or
    None when it is no asset schedule."""
    if isinstance(schedule, BaseAsset):
        return schedule
    if isinstance(schedule, (list, tuple)) and schedule and all(
            isinstance(s, BaseAsset) for s in schedule):
        return AssetAll(*schedule)
    if isinstance(schedule, (list, tuple)):
        bad = [s for s in schedule if not isinstance(s, BaseAsset)]
        raise DagDefinitionError(f"a schedule list must hold assets or datasets, got "
                                 f"{bad[0] if bad else 'an empty list'!r}")
    return None


def outlet_assets(owner: str, values: Any, what: str = "outlets") -> list[Asset | AssetAlias]:
    """A task's `outlets` / `inlets` as assets and aliases; anything else is refused."""
    if values is None:
        return []
    if isinstance(values, BaseAsset) or not isinstance(values, (list, tuple, set)):
        values = [values]
    out = []
    for value in values:
        if not isinstance(value, (Asset, AssetAlias)):
            raise DagDefinitionError(f"{owner}: {what} must be Assets, Datasets or AssetAliases "
                                     f"(chordflow has no other lineage objects), got {value!r}")
        out.append(value)
    return out


def _check_condition(obj: Any) -> None:
    if not isinstance(obj, BaseAsset):
        raise DagDefinitionError(f"an asset condition combines assets, got {obj!r}")


def _text(what: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DagDefinitionError(f"an asset's {what} must be a non-empty string, got {value!r}")
    if not value.isascii() or len(value) > 1500:
        raise DagDefinitionError(f"an asset's {what} must be ASCII and at most 1500 "
                                 f"characters, got {value[:60]!r}")
    return value


__all__ = ["Asset", "AssetAlias", "DatasetAlias", "Metadata", "AssetAll", "AssetAny", "BaseAsset", "Dataset", "DatasetAll", "DatasetAny"]
