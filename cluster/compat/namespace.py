"""Airflow's import names resolved to chordflow: the `airflow` namespace.

An Airflow user's DAG file says `from airflow import DAG`; when real Airflow is not
installed, these names resolve to chordflow's own classes, from the first DAG file
loaded on for the life of the process (task code imports `airflow.*` lazily too).
Modules of installed Airflow provider wheels (`site-packages/airflow/providers/...`)
come through as they are and win over chordflow's stand-ins. A name chordflow does
not provide fails the import with an ImportError naming it, so `try: ... except
ImportError:` fallbacks in DAG files work.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any, Iterator

from cluster.compat.surface import SURFACE, VALUES
from cluster.errors import UnsupportedAirflowModule, UnsupportedAirflowName

# airflow module -> chordflow modules whose public names it offers; "module:a,b" offers
# only the names a and b of that module.
MODULES: dict[str, tuple[str, ...]] = {
    "airflow": ("cluster.sdk.dag", "cluster.errors"),
    "airflow.sdk": ("cluster.sdk.dag", "cluster.sdk.operators", "cluster.errors", "cluster.sdk.variable",
                    "cluster.sdk.connection", "cluster.sdk.hooks", "cluster.sdk.sensors.base",
                    "cluster.sdk.params", "cluster.sdk.context_var", "cluster.sdk.task_group"),
    "airflow.models": ("cluster.sdk.dag", "cluster.sdk.operators.base", "cluster.sdk.variable",
                       "cluster.sdk.connection", "cluster.sdk.params"),
    "airflow.models.param": ("cluster.sdk.params",),
    "airflow.models.variable": ("cluster.sdk.variable",),
    "airflow.models.connection": ("cluster.sdk.connection",),
    "airflow.hooks": (),
    "airflow.hooks.base": ("cluster.sdk.hooks",),
    "airflow.hooks.base_hook": ("cluster.sdk.hooks",),
    "airflow.macros": ("cluster.sdk.macros",),
    "airflow.models.dag": ("cluster.sdk.dag",),
    "airflow.models.baseoperator": ("cluster.sdk.operators.base",),
    "airflow.decorators": ("cluster.sdk.dag", "cluster.sdk.operators.python", "cluster.sdk.task_group"),
    "airflow.operators": (),
    "airflow.operators.python": ("cluster.sdk.operators.python", "cluster.sdk.operators.branch",
                                 "cluster.sdk.operators.virtualenv"),
    "airflow.operators.branch": ("cluster.sdk.operators.branch",),
    "airflow.operators.python_operator": ("cluster.sdk.operators.python", "cluster.sdk.operators.branch"),
    "airflow.operators.bash": ("cluster.sdk.operators.bash",),
    "airflow.operators.bash_operator": ("cluster.sdk.operators.bash",),
    "airflow.operators.empty": ("cluster.sdk.operators.empty",),
    "airflow.operators.dummy": ("cluster.sdk.operators.empty",),
    "airflow.operators.dummy_operator": ("cluster.sdk.operators.empty",),
    "airflow.providers": (),
    "airflow.providers.standard": (),
    "airflow.providers.standard.operators": (),
    "airflow.providers.standard.operators.python": ("cluster.sdk.operators.python",
                                                    "cluster.sdk.operators.branch",
                                                    "cluster.sdk.operators.virtualenv"),
    "airflow.providers.standard.operators.branch": ("cluster.sdk.operators.branch",),
    "airflow.providers.standard.operators.bash": ("cluster.sdk.operators.bash",),
    "airflow.providers.standard.operators.empty": ("cluster.sdk.operators.empty",),
    "airflow.exceptions": ("cluster.errors",),
    "airflow.sensors": ("cluster.sdk.sensors",),
    "airflow.sensors.base": ("cluster.sdk.sensors.base",),
    "airflow.sensors.base_sensor_operator": ("cluster.sdk.sensors.base",),
    "airflow.sensors.python": ("cluster.sdk.sensors.python",),
    "airflow.sensors.python_sensor": ("cluster.sdk.sensors.python",),
    "airflow.sensors.filesystem": ("cluster.sdk.sensors.filesystem",),
    "airflow.sensors.time_delta": ("cluster.sdk.sensors.time_delta",),
    "airflow.sensors.time_sensor": ("cluster.sdk.sensors.time_delta",),
    "airflow.sensors.date_time": ("cluster.sdk.sensors.time_delta",),
    "airflow.sensors.external_task": ("cluster.sdk.sensors.external_task",
                                      "cluster.sdk.operators.external_marker"),
    "airflow.sensors.external_task_sensor": ("cluster.sdk.sensors.external_task",
                                             "cluster.sdk.operators.external_marker"),
    "airflow.providers.standard.sensors": (),
    "airflow.providers.standard.sensors.python": ("cluster.sdk.sensors.python",),
    "airflow.providers.standard.sensors.bash": ("cluster.sdk.sensors.bash",),
    "airflow.providers.standard.sensors.weekday": ("cluster.sdk.sensors.weekday",),
    "airflow.sensors.bash": ("cluster.sdk.sensors.bash",),
    "airflow.sensors.bash_sensor": ("cluster.sdk.sensors.bash",),
    "airflow.sensors.weekday": ("cluster.sdk.sensors.weekday",),
    "airflow.sensors.weekday_sensor": ("cluster.sdk.sensors.weekday",),
    "airflow.providers.standard.sensors.filesystem": ("cluster.sdk.sensors.filesystem",),
    "airflow.providers.standard.sensors.time_delta": ("cluster.sdk.sensors.time_delta",),
    "airflow.providers.standard.sensors.time": ("cluster.sdk.sensors.time_delta",),
    "airflow.providers.standard.sensors.date_time": ("cluster.sdk.sensors.time_delta",),
    "airflow.providers.standard.sensors.external_task": ("cluster.sdk.sensors.external_task",
                                                         "cluster.sdk.operators.external_marker"),
    "airflow.providers.docker": (),
    "airflow.providers.docker.operators": (),
    "airflow.providers.docker.operators.docker": ("cluster.sdk.operators.docker",),
    "airflow.providers.cncf": (),
    "airflow.providers.cncf.kubernetes": (),
    "airflow.providers.cncf.kubernetes.operators": (),
    "airflow.providers.cncf.kubernetes.operators.pod": ("cluster.sdk.operators.kubernetes",),
    "airflow.providers.cncf.kubernetes.operators.kubernetes_pod": ("cluster.sdk.operators.kubernetes",),
    "airflow.providers.cncf.kubernetes.secret": ("cluster.sdk.operators.kubernetes",),
    "airflow.providers.cncf.kubernetes.utils": (),
    "airflow.providers.cncf.kubernetes.utils.pod_manager": ("cluster.sdk.operators.kubernetes",),
    "airflow.kubernetes": (),
    "airflow.kubernetes.secret": ("cluster.sdk.operators.kubernetes",),
    "airflow.utils": (),
    "airflow.utils.trigger_rule": ("cluster.sdk.trigger_rules",),
    "airflow.utils.dates": ("cluster.compat.namespace:days_ago",),
    "airflow.utils.state": ("cluster.compat.states",),
    "airflow.utils.helpers": ("cluster.sdk.operators.base:chain,cross_downstream",),
    "airflow.providers.common": (),
    "airflow.providers.common.sql": (),
    "airflow.providers.common.sql.operators": (),
    "airflow.providers.common.sql.operators.sql": ("cluster.sdk.operators.sql",),
    "airflow.providers.common.sql.hooks": (),
    "airflow.providers.common.sql.hooks.sql": ("cluster.sdk.sql_hooks",),
    "airflow.providers.postgres": (),
    "airflow.providers.postgres.hooks": (),
    "airflow.providers.postgres.hooks.postgres": ("cluster.sdk.sql_hooks",),
    "airflow.providers.postgres.operators": (),
    "airflow.providers.postgres.operators.postgres": ("cluster.sdk.operators.sql",),
    "airflow.providers.sqlite": (),
    "airflow.providers.sqlite.hooks": (),
    "airflow.providers.sqlite.hooks.sqlite": ("cluster.sdk.sql_hooks",),
    "airflow.providers.sqlite.operators": (),
    "airflow.providers.sqlite.operators.sqlite": ("cluster.sdk.operators.sql",),
    "airflow.utils.task_group": ("cluster.sdk.task_group",),
    "airflow.sdk.definitions": (),
    "airflow.sdk.definitions.taskgroup": ("cluster.sdk.task_group",),
    "airflow.decorators.task_group": ("cluster.sdk.task_group",),
    "airflow.operators.trigger_dagrun": ("cluster.sdk.operators.trigger_dagrun",),
    "airflow.operators.dagrun_operator": ("cluster.sdk.operators.trigger_dagrun",),
    "airflow.providers.standard.operators.trigger_dagrun": ("cluster.sdk.operators.trigger_dagrun",),
    "airflow.operators.latest_only": ("cluster.sdk.operators.latest_only",),
    "airflow.operators.latest_only_operator": ("cluster.sdk.operators.latest_only",),
    "airflow.providers.standard.operators.latest_only": ("cluster.sdk.operators.latest_only",),
    "airflow.operators.datetime": ("cluster.sdk.operators.calendar_branch:BranchDateTimeOperator",
                                   "cluster.sdk.operators.calendar_branch:target_times_as_dates"),
    "airflow.providers.standard.operators.datetime": (
        "cluster.sdk.operators.calendar_branch:BranchDateTimeOperator,target_times_as_dates",),
    "airflow.operators.weekday": ("cluster.sdk.operators.calendar_branch:BranchDayOfWeekOperator",),
    "airflow.providers.standard.operators.weekday": (
        "cluster.sdk.operators.calendar_branch:BranchDayOfWeekOperator",),
    "airflow.operators.python_virtualenv": ("cluster.sdk.operators.virtualenv",),
    "airflow.utils.email": ("cluster.sdk.email",),
    "airflow.operators.email": ("cluster.sdk.operators.email",),
    "airflow.operators.email_operator": ("cluster.sdk.operators.email",),
    "airflow.providers.smtp": (),
    "airflow.providers.smtp.operators": (),
    "airflow.providers.smtp.operators.smtp": ("cluster.sdk.operators.email",),
    "airflow.providers.standard.operators.email": ("cluster.sdk.operators.email",),
    "airflow.utils.weekday": ("cluster.sdk.operators.calendar_branch:WeekDay",),
    "airflow.providers.standard.utils": (),
    "airflow.providers.standard.utils.weekday": ("cluster.sdk.operators.calendar_branch:WeekDay",),
    "airflow.timetables": (),
    "airflow.timetables.base": ("cluster.sdk.timetables:Timetable,DagRunInfo,DataInterval,"
                                "TimeRestriction",),
    "airflow.timetables.interval": ("cluster.sdk.timetables:CronDataIntervalTimetable,"
                                    "DeltaDataIntervalTimetable",),
    "airflow.timetables.trigger": ("cluster.sdk.timetables:CronTriggerTimetable,"
                                   "DeltaTriggerTimetable,MultipleCronTriggerTimetable",),
    "airflow.timetables.events": ("cluster.sdk.timetables:EventsTimetable",),
    "airflow.timetables.assets": ("cluster.sdk.timetables:AssetOrTimeSchedule",),
    "airflow.timetables.datasets": ("cluster.sdk.timetables:AssetOrTimeSchedule",),
    "airflow.timetables.simple": ("cluster.sdk.timetables:NullTimetable,OnceTimetable,"
                                  "AssetTriggeredTimetable,DatasetTriggeredTimetable",),
    "airflow.datasets": ("cluster.sdk.assets:Dataset,DatasetAll,DatasetAny,DatasetAlias",),
    "airflow.datasets.metadata": ("cluster.sdk.assets:Metadata",),
    "airflow.sdk.definitions.asset": ("cluster.sdk.assets:Asset,AssetAll,AssetAny,BaseAsset,"
                                      "AssetAlias",),
    "airflow.sdk.definitions.asset.metadata": ("cluster.sdk.assets:Metadata",),
    "airflow.sdk.definitions.asset.decorators": ("cluster.sdk.asset_decorator",),
    "airflow.sdk.definitions.retry_policy": ("cluster.sdk.retry_policy",),
}
# Airflow 3's task SDK offers the built-in timetables too.
MODULES["airflow.sdk"] += ("cluster.sdk.timetables:CronDataIntervalTimetable,"
                           "CronTriggerTimetable,DeltaDataIntervalTimetable,DeltaTriggerTimetable,"
                           "EventsTimetable,MultipleCronTriggerTimetable,AssetOrTimeSchedule",
                           "cluster.sdk.assets:Asset,AssetAll,AssetAny,AssetAlias,Metadata",
                           "cluster.sdk.asset_decorator:asset", "cluster.sdk.retry_policy")
_EXTRA: dict[str, dict[str, Any]] = {}
for _module, _sources in SURFACE.items():
    MODULES[_module] = tuple(MODULES.get(_module, ())) + _sources
for _module, _values in VALUES.items():
    MODULES.setdefault(_module, ())
    _EXTRA.setdefault(_module, {}).update(_values)
# Airflow 2's name for it
_EXTRA.setdefault("airflow.timetables.datasets", {})["DatasetOrTimeSchedule"] = \
    importlib.import_module("cluster.sdk.timetables").AssetOrTimeSchedule


def register(module: str, sources: tuple[str, ...] = (), **names: Any) -> None:
    """Offer chordflow names under an Airflow module path (providers add theirs here)."""
    MODULES[module] = tuple(MODULES.get(module, ())) + tuple(sources)
    _EXTRA.setdefault(module, {}).update(names)
    parent = module.rpartition(".")[0]
    while parent and parent not in MODULES:
        MODULES[parent] = ()
        parent = parent.rpartition(".")[0]


def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """Airflow's `days_ago`: midnight UTC n days ago."""
    today = dt.datetime.now(dt.timezone.utc).replace(
        hour=hour, minute=minute, second=second, microsecond=0)
    return today - dt.timedelta(days=n)


class _Namespace(types.ModuleType):
    """A mapped `airflow.*` package: its submodules are attributes, as on the real one."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        child = f"{self.__name__}.{attr}"
        if child in MODULES or _installed_provider(child) is not None:
            return importlib.import_module(child)
        raise AttributeError(f"chordflow does not support the Airflow name {attr!r} of "
                             f"{self.__name__!r}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves `airflow.*`: installed provider modules first, then chordflow's stand-ins."""

    def find_spec(self, fullname: str, path: Any, target: Any = None):  # type: ignore[override]
        if fullname != "airflow" and not fullname.startswith("airflow."):
            return None
        installed = _installed_provider(fullname)
        if installed is not None:
            return installed
        if fullname not in MODULES:
            installed = _installed(fullname)  # e.g. airflow.example_dags of an unpacked wheel
            if installed is not None:
                return installed
            parent, _, last = fullname.rpartition(".")
            if last[:1].isupper():  # `from airflow.sdk import TaskGroup` looks for a submodule
                raise UnsupportedAirflowName(
                    f"chordflow does not support the Airflow name {last!r} of {parent!r}",
                    name=parent)
            hint = ""
            if fullname.startswith("airflow.providers."):
                parts = fullname.split(".")[2:]
                package = "-".join(parts[:2] if parts[0] in _TWO_PART and len(parts) > 1
                                   else parts[:1])
                hint = (f" (if it is part of an Airflow provider, install it: pip install "
                        f"--no-deps apache-airflow-providers-{package})")
            raise UnsupportedAirflowModule(
                f"chordflow does not support the Airflow module {fullname!r}{hint}",
                name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _Namespace(spec.name)
        # a package, so submodules resolve through this finder; an installed provider's
        # folders are on its path, so their modules are found under it
        module.__path__ = _folders(spec.name)
        for source in MODULES[spec.name]:
            source, _, as_name = source.partition("@")
            if as_name:
                setattr(module, as_name, importlib.import_module(source))
                continue
            source, _, only = source.partition(":")
            src = importlib.import_module(source)
            names = only.split(",") if only else getattr(src, "__all__", None) or [
                n for n in vars(src) if not n.startswith("_")]
            for name in names:
                setattr(module, name, getattr(src, name))
        for name, value in _EXTRA.get(spec.name, {}).items():
            setattr(module, name, value)
        if spec.name == "airflow.models":
            from cluster.sdk.operators.base import BaseOperator
            module.BaseOperator = BaseOperator
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


_FINDER = _Finder()


def _folders(name: str) -> list[str]:
    """The folders of package `name` on sys.path (those of installed provider wheels)."""
    parts = name.split(".")
    return [folder for folder in (os.path.join(entry or ".", *parts) for entry in sys.path)
            if os.path.isdir(folder)]


# provider families whose distributions are named by two parts (providers-common-sql)
_TWO_PART = {"common", "apache", "cncf", "microsoft", "atlassian", "alibaba", "dbt"}


# Stand-ins that stay chordflow's even with their provider installed: they work through
# chordflow's own store and services (runs triggered, other runs read), which the provider's
# versions reach through Airflow's database and API.
KEEP_STANDIN = {
    "airflow.providers.standard.operators.trigger_dagrun",
    "airflow.providers.standard.operators.latest_only",
    "airflow.providers.standard.sensors.external_task",
}


def _installed_provider(fullname: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of an installed provider's module (a real file), which wins over a stand-in."""
    if not fullname.startswith("airflow.providers.") or fullname in KEEP_STANDIN:
        return None
    return _installed(fullname)


def _installed(fullname: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of a real module file of that name under an `airflow` folder on sys.path."""
    spec = importlib.machinery.PathFinder.find_spec(fullname, _folders(fullname.rpartition(".")[0]))
    if spec is None or spec.origin in (None, "namespace") or not spec.has_location:
        return None
    return spec


def provider_infos() -> Iterator[dict[str, Any]]:
    """What each installed provider declares (its `get_provider_info()`), package by package."""
    if _FINDER not in sys.meta_path:
        return
    seen: set[str] = set()
    for folder in _folders("airflow.providers"):
        for info in sorted(Path(folder).glob("**/get_provider_info.py")):
            package = ".".join(("airflow", "providers",
                                *info.parent.relative_to(folder).parts))
            if package in seen:
                continue
            seen.add(package)
            try:
                provided = importlib.import_module(package + ".get_provider_info")
                yield provided.get_provider_info()
            except Exception:  # a broken provider must not break the others
                continue


def provider_hook_class(conn_type: str) -> type | None:
    """The hook class an installed provider declares for a connection type, if any."""
    if not conn_type:
        return None
    for provided in provider_infos():
        for entry in provided.get("connection-types", []):
            if entry.get("connection-type") == conn_type:
                module, _, name = entry["hook-class-name"].rpartition(".")
                return getattr(importlib.import_module(module), name)
    return None


def real_airflow_installed() -> bool:
    """Airflow itself is importable: a regular `airflow` package, not only providers' folders."""
    spec = importlib.machinery.PathFinder.find_spec("airflow")
    return spec is not None and spec.origin not in (None, "namespace") and spec.has_location


def install() -> None:
    """From now on `import airflow...` resolves to chordflow (unless Airflow is real).

    It stays for the life of the process, as Airflow's modules would: callables import
    `airflow.*` lazily while they run, long after their file loaded.
    """
    if _FINDER in sys.meta_path or real_airflow_installed():
        return
    sys.meta_path.insert(0, _FINDER)
    # a provider-only `airflow` folder imported before as a namespace package must go
    for name in [m for m in sys.modules if m == "airflow" or m.startswith("airflow.")]:
        if not isinstance(sys.modules[name], _Namespace) and not _is_provider_module(name):
            del sys.modules[name]


def _is_provider_module(name: str) -> bool:
    return name.startswith("airflow.providers.") and getattr(
        sys.modules[name], "__file__", None) is not None


@contextlib.contextmanager
def airflow_names() -> Iterator[None]:
    """`import airflow...` resolves to chordflow inside the block, and after it (`install`)."""
    install()
    yield
