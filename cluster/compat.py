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

from cluster.airflow_surface import SURFACE, VALUES
from cluster.errors import UnsupportedAirflowModule, UnsupportedAirflowName

# airflow module -> chordflow modules whose public names it offers; "module:a,b" offers
# only the names a and b of that module.
MODULES: dict[str, tuple[str, ...]] = {
    "airflow": ("cluster.dag", "cluster.errors"),
    "airflow.sdk": ("cluster.dag", "cluster.operators", "cluster.errors", "cluster.variable",
                    "cluster.connection", "cluster.hooks", "cluster.sensors.base",
                    "cluster.params", "cluster.context_var", "cluster.task_group"),
    "airflow.models": ("cluster.dag", "cluster.operators.base", "cluster.variable",
                       "cluster.connection", "cluster.params"),
    "airflow.models.param": ("cluster.params",),
    "airflow.models.variable": ("cluster.variable",),
    "airflow.models.connection": ("cluster.connection",),
    "airflow.hooks": (),
    "airflow.hooks.base": ("cluster.hooks",),
    "airflow.hooks.base_hook": ("cluster.hooks",),
    "airflow.macros": ("cluster.macros",),
    "airflow.models.dag": ("cluster.dag",),
    "airflow.models.baseoperator": ("cluster.operators.base",),
    "airflow.decorators": ("cluster.dag", "cluster.operators.python", "cluster.task_group"),
    "airflow.operators": (),
    "airflow.operators.python": ("cluster.operators.python", "cluster.operators.branch",
                                 "cluster.operators.virtualenv"),
    "airflow.operators.branch": ("cluster.operators.branch",),
    "airflow.operators.python_operator": ("cluster.operators.python", "cluster.operators.branch"),
    "airflow.operators.bash": ("cluster.operators.bash",),
    "airflow.operators.bash_operator": ("cluster.operators.bash",),
    "airflow.operators.empty": ("cluster.operators.empty",),
    "airflow.operators.dummy": ("cluster.operators.empty",),
    "airflow.operators.dummy_operator": ("cluster.operators.empty",),
    "airflow.providers": (),
    "airflow.providers.standard": (),
    "airflow.providers.standard.operators": (),
    "airflow.providers.standard.operators.python": ("cluster.operators.python",
                                                    "cluster.operators.branch",
                                                    "cluster.operators.virtualenv"),
    "airflow.providers.standard.operators.branch": ("cluster.operators.branch",),
    "airflow.providers.standard.operators.bash": ("cluster.operators.bash",),
    "airflow.providers.standard.operators.empty": ("cluster.operators.empty",),
    "airflow.exceptions": ("cluster.errors",),
    "airflow.sensors": ("cluster.sensors",),
    "airflow.sensors.base": ("cluster.sensors.base",),
    "airflow.sensors.base_sensor_operator": ("cluster.sensors.base",),
    "airflow.sensors.python": ("cluster.sensors.python",),
    "airflow.sensors.python_sensor": ("cluster.sensors.python",),
    "airflow.sensors.filesystem": ("cluster.sensors.filesystem",),
    "airflow.sensors.time_delta": ("cluster.sensors.time_delta",),
    "airflow.sensors.time_sensor": ("cluster.sensors.time_delta",),
    "airflow.sensors.date_time": ("cluster.sensors.time_delta",),
    "airflow.sensors.external_task": ("cluster.sensors.external_task",
                                      "cluster.operators.external_marker"),
    "airflow.sensors.external_task_sensor": ("cluster.sensors.external_task",
                                             "cluster.operators.external_marker"),
    "airflow.providers.standard.sensors": (),
    "airflow.providers.standard.sensors.python": ("cluster.sensors.python",),
    "airflow.providers.standard.sensors.bash": ("cluster.sensors.bash",),
    "airflow.providers.standard.sensors.weekday": ("cluster.sensors.weekday",),
    "airflow.sensors.bash": ("cluster.sensors.bash",),
    "airflow.sensors.bash_sensor": ("cluster.sensors.bash",),
    "airflow.sensors.weekday": ("cluster.sensors.weekday",),
    "airflow.sensors.weekday_sensor": ("cluster.sensors.weekday",),
    "airflow.providers.standard.sensors.filesystem": ("cluster.sensors.filesystem",),
    "airflow.providers.standard.sensors.time_delta": ("cluster.sensors.time_delta",),
    "airflow.providers.standard.sensors.time": ("cluster.sensors.time_delta",),
    "airflow.providers.standard.sensors.date_time": ("cluster.sensors.time_delta",),
    "airflow.providers.standard.sensors.external_task": ("cluster.sensors.external_task",
                                                         "cluster.operators.external_marker"),
    "airflow.providers.docker": (),
    "airflow.providers.docker.operators": (),
    "airflow.providers.docker.operators.docker": ("cluster.operators.docker",),
    "airflow.providers.cncf": (),
    "airflow.providers.cncf.kubernetes": (),
    "airflow.providers.cncf.kubernetes.operators": (),
    "airflow.providers.cncf.kubernetes.operators.pod": ("cluster.operators.kubernetes",),
    "airflow.providers.cncf.kubernetes.operators.kubernetes_pod": ("cluster.operators.kubernetes",),
    "airflow.providers.cncf.kubernetes.secret": ("cluster.operators.kubernetes",),
    "airflow.providers.cncf.kubernetes.utils": (),
    "airflow.providers.cncf.kubernetes.utils.pod_manager": ("cluster.operators.kubernetes",),
    "airflow.kubernetes": (),
    "airflow.kubernetes.secret": ("cluster.operators.kubernetes",),
    "airflow.utils": (),
    "airflow.utils.trigger_rule": ("cluster.trigger_rules",),
    "airflow.utils.dates": ("cluster.compat:days_ago",),
    "airflow.utils.state": ("cluster.airflow_states",),
    "airflow.utils.helpers": ("cluster.operators.base:chain,cross_downstream",),
    "airflow.providers.common": (),
    "airflow.providers.common.sql": (),
    "airflow.providers.common.sql.operators": (),
    "airflow.providers.common.sql.operators.sql": ("cluster.operators.sql",),
    "airflow.providers.common.sql.hooks": (),
    "airflow.providers.common.sql.hooks.sql": ("cluster.sql_hooks",),
    "airflow.providers.postgres": (),
    "airflow.providers.postgres.hooks": (),
    "airflow.providers.postgres.hooks.postgres": ("cluster.sql_hooks",),
    "airflow.providers.postgres.operators": (),
    "airflow.providers.postgres.operators.postgres": ("cluster.operators.sql",),
    "airflow.providers.sqlite": (),
    "airflow.providers.sqlite.hooks": (),
    "airflow.providers.sqlite.hooks.sqlite": ("cluster.sql_hooks",),
    "airflow.providers.sqlite.operators": (),
    "airflow.providers.sqlite.operators.sqlite": ("cluster.operators.sql",),
    "airflow.utils.task_group": ("cluster.task_group",),
    "airflow.sdk.definitions": (),
    "airflow.sdk.definitions.taskgroup": ("cluster.task_group",),
    "airflow.decorators.task_group": ("cluster.task_group",),
    "airflow.operators.trigger_dagrun": ("cluster.operators.trigger_dagrun",),
    "airflow.operators.dagrun_operator": ("cluster.operators.trigger_dagrun",),
    "airflow.providers.standard.operators.trigger_dagrun": ("cluster.operators.trigger_dagrun",),
    "airflow.operators.latest_only": ("cluster.operators.latest_only",),
    "airflow.operators.latest_only_operator": ("cluster.operators.latest_only",),
    "airflow.providers.standard.operators.latest_only": ("cluster.operators.latest_only",),
    "airflow.operators.datetime": ("cluster.operators.calendar_branch:BranchDateTimeOperator",
                                   "cluster.operators.calendar_branch:target_times_as_dates"),
    "airflow.providers.standard.operators.datetime": (
        "cluster.operators.calendar_branch:BranchDateTimeOperator,target_times_as_dates",),
    "airflow.operators.weekday": ("cluster.operators.calendar_branch:BranchDayOfWeekOperator",),
    "airflow.providers.standard.operators.weekday": (
        "cluster.operators.calendar_branch:BranchDayOfWeekOperator",),
    "airflow.operators.python_virtualenv": ("cluster.operators.virtualenv",),
    "airflow.utils.email": ("cluster.email",),
    "airflow.operators.email": ("cluster.operators.email",),
    "airflow.operators.email_operator": ("cluster.operators.email",),
    "airflow.providers.smtp": (),
    "airflow.providers.smtp.operators": (),
    "airflow.providers.smtp.operators.smtp": ("cluster.operators.email",),
    "airflow.providers.standard.operators.email": ("cluster.operators.email",),
    "airflow.utils.weekday": ("cluster.operators.calendar_branch:WeekDay",),
    "airflow.providers.standard.utils": (),
    "airflow.providers.standard.utils.weekday": ("cluster.operators.calendar_branch:WeekDay",),
    "airflow.timetables": (),
    "airflow.timetables.base": ("cluster.timetables:Timetable,DagRunInfo,DataInterval,"
                                "TimeRestriction",),
    "airflow.timetables.interval": ("cluster.timetables:CronDataIntervalTimetable,"
                                    "DeltaDataIntervalTimetable",),
    "airflow.timetables.trigger": ("cluster.timetables:CronTriggerTimetable,"
                                   "DeltaTriggerTimetable,MultipleCronTriggerTimetable",),
    "airflow.timetables.events": ("cluster.timetables:EventsTimetable",),
    "airflow.timetables.assets": ("cluster.timetables:AssetOrTimeSchedule",),
    "airflow.timetables.datasets": ("cluster.timetables:AssetOrTimeSchedule",),
    "airflow.timetables.simple": ("cluster.timetables:NullTimetable,OnceTimetable,"
                                  "AssetTriggeredTimetable,DatasetTriggeredTimetable",),
    "airflow.datasets": ("cluster.assets:Dataset,DatasetAll,DatasetAny,DatasetAlias",),
    "airflow.datasets.metadata": ("cluster.assets:Metadata",),
    "airflow.sdk.definitions.asset": ("cluster.assets:Asset,AssetAll,AssetAny,BaseAsset,"
                                      "AssetAlias",),
    "airflow.sdk.definitions.asset.metadata": ("cluster.assets:Metadata",),
    "airflow.sdk.definitions.asset.decorators": ("cluster.asset_decorator",),
    "airflow.sdk.definitions.retry_policy": ("cluster.retry_policy",),
}
# Airflow 3's task SDK offers the built-in timetables too.
MODULES["airflow.sdk"] += ("cluster.timetables:CronDataIntervalTimetable,"
                           "CronTriggerTimetable,DeltaDataIntervalTimetable,DeltaTriggerTimetable,"
                           "EventsTimetable,MultipleCronTriggerTimetable,AssetOrTimeSchedule",
                           "cluster.assets:Asset,AssetAll,AssetAny,AssetAlias,Metadata",
                           "cluster.asset_decorator:asset", "cluster.retry_policy")
_EXTRA: dict[str, dict[str, Any]] = {}
for _module, _sources in SURFACE.items():
    MODULES[_module] = tuple(MODULES.get(_module, ())) + _sources
for _module, _values in VALUES.items():
    MODULES.setdefault(_module, ())
    _EXTRA.setdefault(_module, {}).update(_values)
# Airflow 2's name for it
_EXTRA.setdefault("airflow.timetables.datasets", {})["DatasetOrTimeSchedule"] = \
    importlib.import_module("cluster.timetables").AssetOrTimeSchedule


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
            from cluster.operators.base import BaseOperator
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
