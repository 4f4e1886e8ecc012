"""Trigger rules: when a task runs, given the final states of its upstreams (pure)."""
from __future__ import annotations

import enum
from typing import Iterable, Mapping, Sequence

from .states import FINAL_TASK_STATE_VALUES, TaskState


class TriggerRule(str, enum.Enum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_SKIPPED = "all_skipped"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"

    def __str__(self) -> str:
        return self.value


# Rules Airflow fires as soon as one upstream qualifies, while the others still run
# (`none_failed_min_one_success` is not one: it needs every upstream final).
FIRES_EARLY = frozenset({TriggerRule.ONE_SUCCESS, TriggerRule.ONE_FAILED, TriggerRule.ONE_DONE})


def final_states(upstream_states: Mapping[str, str | None], upstream: Sequence[str]
                 ) -> dict[str, str]:
    """The upstreams that are final, with their states."""
    return {u: s for u in upstream if (s := upstream_states.get(u)) in FINAL_TASK_STATE_VALUES}


def ready(rule: TriggerRule | str, upstream_states: Mapping[str, str | None],
          upstream: Sequence[str]) -> bool:
    """Whether a task's fate is decided: every upstream is final, or (a rule that fires
    early) the final ones already make it run. `always` is decided from the start, as in
    Airflow, whatever its upstreams are doing. Decide with `verdict(rule, final_states(...))`."""
    rule = TriggerRule(rule)
    final = final_states(upstream_states, upstream)
    if len(final) == len(upstream) or rule is TriggerRule.ALWAYS:
        return True
    return rule in FIRES_EARLY and bool(final) and evaluate(rule, final.values()) is None


def evaluate(rule: TriggerRule | str, upstream_states: Iterable[TaskState | str]) -> TaskState | None:
    """What becomes of a task whose upstreams are all final.

    Returns None when the task should run, else the state it takes without running
    (`upstream_failed` or `skipped`), the way Airflow decides it.
    """
    rule = TriggerRule(rule)
    states = [TaskState(s) for s in upstream_states]
    if not states or rule is TriggerRule.ALWAYS:
        return None
    success = sum(s is TaskState.SUCCESS for s in states)
    skipped = sum(s is TaskState.SKIPPED for s in states)
    failed = sum(s in (TaskState.FAILED, TaskState.UPSTREAM_FAILED) for s in states)
    total = len(states)
    fail, skip = TaskState.UPSTREAM_FAILED, TaskState.SKIPPED
    if rule is TriggerRule.ALL_SUCCESS:
        return None if success == total else (fail if failed else skip)
    if rule is TriggerRule.ALL_FAILED:
        return None if failed == total else skip
    if rule is TriggerRule.ALL_DONE:
        return None
    if rule is TriggerRule.ALL_SKIPPED:
        return None if skipped == total else skip
    if rule is TriggerRule.ONE_SUCCESS:
        return None if success else (fail if failed else skip)
    if rule is TriggerRule.ONE_FAILED:
        return None if failed else skip
    if rule is TriggerRule.ONE_DONE:
        return None if success or failed else skip
    if rule is TriggerRule.NONE_FAILED:
        return None if not failed else fail
    if rule is TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
        return (fail if failed else None) if success or failed else skip
    if rule is TriggerRule.NONE_SKIPPED:
        return None if not skipped else skip
    raise ValueError(f"unknown trigger rule {rule}")


def verdict(rule: TriggerRule | str, upstream_states: dict[str, str]) -> tuple[TaskState | None, str]:
    """`evaluate`, with the reason a task that will not run is given (None: it runs)."""
    state = evaluate(rule, upstream_states.values())
    if state is None:
        return None, ""
    failed = sorted(u for u, s in upstream_states.items()
                    if s in (TaskState.FAILED, TaskState.UPSTREAM_FAILED))
    return state, f"trigger rule {TriggerRule(rule)}: upstream " + (
        f"failed ({', '.join(failed)})" if failed else "skipped")
