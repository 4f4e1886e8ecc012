"""The DAG: a named set of tasks and the dependencies between them (Airflow's `DAG`)."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import inspect
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from cluster.errors import (DagCycleError, DagDefinitionError, DuplicateTaskIdError,
                     UnsupportedFeatureError)
from cluster.sdk import params as param_values
from cluster.sdk import setup_teardown
from cluster.sdk.dag_schedule import DagScheduleMethods
from cluster.sdk.schedules import check_schedule
from cluster.sdk.timetables import Timetable
from cluster.sdk.timetables.codec import from_schedule
from cluster.timezones import UTC

if TYPE_CHECKING:
    from cluster.sdk.operators.base import BaseOperator

_current_dags: contextvars.ContextVar[tuple["DAG", ...]] = contextvars.ContextVar(
    "chordflow_current_dags", default=()
)
# Arguments Airflow accepts that change nothing about how chordflow runs a DAG.
_IGNORED_DAG_ARGS = frozenset({
    "doc_md", "owner_links", "access_control", "default_view", "orientation",
    "jinja_environment_kwargs", "sla_miss_callback",
    "auto_register", "dag_display_name",
    "max_consecutive_failed_dag_runs",
})
_NOTSET: Any = object()
_collecting: contextvars.ContextVar[list["DAG"] | None] = contextvars.ContextVar(
    "chordflow_collecting_dags", default=None
)


class DAG(DagScheduleMethods):
    """A workflow: tasks plus the edges between them, with its schedule and defaults.

    Parameters:
      dag_id: unique name of the DAG.
      schedule: cron string, preset, `timedelta`, a `Timetable` or None (only triggered
        runs); `schedule_interval` and `timetable` are accepted as its older names.
      start_date / end_date: bounds of scheduled runs; the zone of `start_date` (UTC
        when naive) is the DAG's `timezone`, the wall clock its cron is read on.
      default_args: defaults for every operator argument of the DAG's tasks.
      params: default run parameters (values or `Param`s), overridable by a run's conf.
    """

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = _NOTSET,
        start_date: dt.datetime | None = None,
        end_date: dt.datetime | None = None,
        default_args: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        tags: Iterable[str] | None = None,
        catchup: bool | None = None,
        max_active_runs: int = 16,
        dagrun_timeout: dt.timedelta | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        user_defined_macros: dict[str, Any] | None = None,
        user_defined_filters: dict[str, Callable] | None = None,
        render_template_as_native_obj: bool = False,
        on_success_callback: Callable | None = None,
        on_failure_callback: Callable | None = None,
        schedule_interval: Any = _NOTSET,
        is_paused_upon_creation: bool | None = None,
        timetable: Timetable | None = None,
        max_active_tasks: int | None = None,
        concurrency: int | None = None,
        fail_stop: bool = False,
        fail_fast: bool = False,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - _IGNORED_DAG_ARGS)
        if unknown:
            raise UnsupportedFeatureError(
                f"DAG {dag_id!r}: argument(s) not supported by chordflow: {', '.join(unknown)}"
            )
        check_id("dag_id", dag_id)
        self.dag_id = dag_id
        self.description = description
        given = [n for n, v in (("schedule", schedule), ("schedule_interval", schedule_interval),
                                ("timetable", timetable)) if v is not _NOTSET and v is not None]
        if len(given) > 1:
            raise DagDefinitionError(f"DAG {dag_id!r}: give one of {' and '.join(given)}")
        if schedule is _NOTSET:
            schedule = None if schedule_interval is _NOTSET else schedule_interval
        if timetable is not None:
            schedule = timetable
        self.start_date = date_argument(f"DAG {dag_id!r}", "start_date",
                                         start_date or (default_args or {}).get("start_date"))
        self.end_date = date_argument(f"DAG {dag_id!r}", "end_date",
                                       end_date or (default_args or {}).get("end_date"))
        self.timezone = self.start_date.tzinfo if self.start_date is not None else UTC
        try:
            if schedule is None or isinstance(schedule, (str, dt.timedelta)):
                check_schedule(schedule)
            self.timetable = from_schedule(schedule, self.timezone)
            self.timetable.validate()
        except DagDefinitionError as exc:
            raise DagDefinitionError(f"DAG {dag_id!r}: {exc}") from None
        self.schedule = schedule
        if not isinstance(max_active_runs, int) or max_active_runs < 1:
            raise DagDefinitionError(
                f"DAG {dag_id!r}: max_active_runs must be a positive integer, got {max_active_runs!r}")
        if dagrun_timeout is not None and not isinstance(dagrun_timeout, dt.timedelta):
            raise DagDefinitionError(
                f"DAG {dag_id!r}: dagrun_timeout must be a timedelta, got {dagrun_timeout!r}")
        self.is_paused_upon_creation = is_paused_upon_creation
        self.default_args = dict(default_args or {})
        self.params = param_values.raw(params)
        param_values.check_defaults(f"DAG {dag_id!r}", self.params)
        self.tags = list(tags or [])
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        # Airflow's default (16 per DAG) is not applied: only a limit the DAG sets holds.
        self.max_active_tasks = max_active_tasks if max_active_tasks is not None else concurrency
        if self.max_active_tasks is not None and (
                not isinstance(self.max_active_tasks, int) or self.max_active_tasks < 1):
            raise DagDefinitionError(f"DAG {dag_id!r}: max_active_tasks must be a positive "
                                     f"integer, got {self.max_active_tasks!r}")
        # Airflow 2.7's fail_stop, named fail_fast in Airflow 3: the first failed task
        # fails the run, stops its running tasks and skips the rest.
        self.fail_stop = bool(fail_stop or fail_fast)
        self.dagrun_timeout = dagrun_timeout
        if isinstance(template_searchpath, str):
            template_searchpath = [template_searchpath]
        self.template_searchpath = list(template_searchpath or [])
        self.user_defined_macros = dict(user_defined_macros or {})
        self.user_defined_filters = dict(user_defined_filters or {})
        self.render_template_as_native_obj = render_template_as_native_obj
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.fileloc: str | None = _caller_file()
        self.task_dict: dict[str, BaseOperator] = {}
        self.task_group_dict: dict[str, Any] = {}  # group id -> TaskGroup
        self._token: contextvars.Token | None = None
        collected = _collecting.get()
        if collected is not None:
            collected.append(self)

    @staticmethod
    @contextlib.contextmanager
    def collect() -> Iterator[list["DAG"]]:
        """Every DAG built inside the block, assigned to a name or not (`@dag` calls)."""
        created: list[DAG] = []
        token = _collecting.set(created)
        try:
            yield created
        finally:
            _collecting.reset(token)

    # -- context manager: tasks created inside belong to this DAG --------------
    def __enter__(self) -> "DAG":
        self._token = _current_dags.set(_current_dags.get() + (self,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current_dags.reset(self._token)
            self._token = None

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    # -- tasks ---------------------------------------------------------------------
    @property
    def tasks(self) -> list["BaseOperator"]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    def add_task(self, task: "BaseOperator") -> None:
        if task.task_id in self.task_dict and self.task_dict[task.task_id] is not task:
            raise DuplicateTaskIdError(
                f"DAG {self.dag_id!r}: task id {task.task_id!r} is used by more than one task"
            )
        if task.task_id in self.task_group_dict:
            raise DuplicateTaskIdError(
                f"DAG {self.dag_id!r}: task id {task.task_id!r} is already a task group's id")
        self.task_dict[task.task_id] = task
        setup_teardown.note_task(task)

    def get_task(self, task_id: str) -> "BaseOperator":
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise KeyError(f"DAG {self.dag_id!r} has no task {task_id!r}") from None

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    # -- structure -------------------------------------------------------------
    def upstream_map(self) -> dict[str, list[str]]:
        """task_id -> sorted upstream task ids."""
        return {t.task_id: sorted(t.upstream_task_ids) for t in self.task_dict.values()}

    def topological_order(self) -> list[str]:
        """Task ids so that every task comes after its upstreams; a cycle is an error."""
        return topological_order(self.upstream_map(), self.dag_id)

    def check(self) -> None:
        """Raise if the DAG is malformed (a cycle, an edge to a task of another DAG)."""
        for task in self.task_dict.values():
            for other in task.upstream_task_ids | task.downstream_task_ids:
                if other not in self.task_dict:
                    raise DuplicateTaskIdError(
                        f"DAG {self.dag_id!r}: task {task.task_id!r} depends on "
                        f"{other!r}, which is not in this DAG"
                    )
            if self.fail_stop and str(task.trigger_rule) != "all_success":
                raise DagDefinitionError(
                    f"DAG {self.dag_id!r}: fail_stop needs every task's trigger rule to be "
                    f"all_success; task {task.task_id!r} has {task.trigger_rule}")
        setup_teardown.check(self)
        self.topological_order()


def topological_order(upstreams: dict[str, list[str]], name: str = "DAG") -> list[str]:
    """Kahn's algorithm, stable by insertion order; names the tasks of a cycle."""
    remaining = {t: set(ups) for t, ups in upstreams.items()}
    downstream: dict[str, list[str]] = {t: [] for t in upstreams}
    for t, ups in upstreams.items():
        for u in ups:
            downstream.setdefault(u, []).append(t)
    ready = [t for t, ups in remaining.items() if not ups]
    order: list[str] = []
    while ready:
        t = ready.pop(0)
        order.append(t)
        for d in downstream.get(t, ()):
            remaining[d].discard(t)
            if not remaining[d]:
                ready.append(d)
    if len(order) != len(upstreams):
        cycle = _find_cycle(remaining)
        shown = cycle if len(cycle) <= 12 else cycle[:6] + ["..."] + cycle[-5:]
        more = f" ({len(cycle) - 1} tasks)" if len(cycle) > 12 else ""
        raise DagCycleError(f"{name}: cycle between tasks {' -> '.join(shown)}{more}")
    return order


def _find_cycle(remaining: dict[str, set[str]]) -> list[str]:
    """One cycle among the tasks left over by Kahn's algorithm, for the error message."""
    stuck = {t: ups for t, ups in remaining.items() if ups}
    node = next(iter(stuck))
    seen: list[str] = []
    while node not in seen:
        seen.append(node)
        node = sorted(u for u in stuck[node] if u in stuck)[0]
    cycle = seen[seen.index(node):] + [node]
    return list(reversed(cycle))


ID_PATTERN = re.compile(r"^[\w.-]+$")


def check_id(kind: str, value: Any) -> None:
    """Airflow's rule for DAG and task ids: letters, digits, `_`, `.`, `-`; at most 250."""
    if not isinstance(value, str) or not ID_PATTERN.match(value) or len(value) > 250:
        raise DagDefinitionError(
            f"{kind} must be 1-250 letters, digits, underscores, dots or dashes, got {value!r}")


def date_argument(owner: str, name: str, value: Any) -> dt.datetime | None:
    """A DAG's or task's date argument as an aware datetime (a `date` is its midnight;
    naive means UTC); `owner` names it in the error ("DAG 'x'", "task 'y'")."""
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise DagDefinitionError(f"{owner}: {name} must be a datetime, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def current_dag() -> DAG | None:
    stack = _current_dags.get()
    return stack[-1] if stack else None


def dag(dag_id: str | None = None, **dag_kwargs: Any) -> Callable:
    """`@dag` decorator: calling the function builds the DAG with its tasks inside."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def factory(*args: Any, **kwargs: Any) -> DAG:
            with DAG(dag_id or fn.__name__, **dag_kwargs) as built:
                built.fileloc = inspect.getsourcefile(fn)
                fn(*args, **kwargs)
            return built

        return factory

    if callable(dag_id):
        fn, dag_id = dag_id, None
        return wrap(fn)
    return wrap


def _caller_file() -> str | None:
    frame = inspect.currentframe()
    try:
        while frame is not None:
            filename = frame.f_code.co_filename
            if not filename.startswith(_PACKAGE_DIR) and not filename.startswith("<"):
                return filename
            frame = frame.f_back
    finally:
        del frame
    return None


_PACKAGE_DIR = __file__.rsplit("/", 1)[0]
