"""Trigger rules: when a task runs, given the final states of its upstreams (pure)."""
from __future__ import annotations

import enum
from typing import Iterable, Mapping, Sequence

from cluster.states import FINAL_TASK_STATE_VALUES, TaskState


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
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"  # a teardown's: see setup_teardown.py

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


def evaluate(rule: TriggerRule | str, upstream_states: Iterable[TaskState | str],
             setup_states: Iterable[TaskState | str] = ()) -> TaskState | None:
    """What becomes of a task whose upstreams are all final.

    Returns None when the task should run, else the state it takes without running
    (`upstream_failed` or `skipped`), the way Airflow decides it. `setup_states` are those
    of the upstreams that are setups (for `all_done_setup_success`).
    """
    rule = TriggerRule(rule)
    states = [TaskState(s) for s in upstream_states]
    if not states or rule is TriggerRule.ALWAYS:
        return None
    if rule is TriggerRule.ALL_DONE_SETUP_SUCCESS:
        setups = [TaskState(s) for s in setup_states]
        if setups and all(s is TaskState.SKIPPED for s in setups):
            return TaskState.SKIPPED
        if setups and not any(s is TaskState.SUCCESS for s in setups):
            return TaskState.UPSTREAM_FAILED
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


def verdict(rule: TriggerRule | str, upstream_states: dict[str, str],
            setups: Iterable[str] = ()) -> tuple[TaskState | None, str]:
    """`evaluate`, with the reason a task that will not run is given (None: it runs)."""
    setups = list(setups)
    state = evaluate(rule, upstream_states.values(),
                     [upstream_states[u] for u in setups if u in upstream_states])
    if state is None:
        return None, ""
    if setups and TriggerRule(rule) is TriggerRule.ALL_DONE_SETUP_SUCCESS:
        return state, f"trigger rule {TriggerRule(rule)}: " + (
            "every upstream setup was skipped" if state is TaskState.SKIPPED
            else "no upstream setup succeeded")
    failed = sorted(u for u, s in upstream_states.items()
                    if s in (TaskState.FAILED, TaskState.UPSTREAM_FAILED))
    return state, f"trigger rule {TriggerRule(rule)}: upstream " + (
        f"failed ({', '.join(failed)})" if failed else "skipped")


# -- a serialized task's spec: its own rule plus what setup/teardown adds --------------------

def watched(spec: Mapping) -> list[str]:
    """The tasks whose states decide this one: its upstreams, the setups it works in the
    scope of, and (a teardown) the work between its setups and itself."""
    return [*spec["upstream"], *spec.get("setup_scope", ()), *spec.get("teardown_scope", ())]


def spec_ready(spec: Mapping, states: Mapping[str, str | None]) -> bool:
    """`ready` for a task spec: a task in a setup's scope waits for that setup to succeed
    (it is decided at once when the setup failed or was skipped), a teardown for all the
    work between its setups and itself, as Airflow's trigger rule dependency does."""
    scope = spec.get("setup_scope", ())
    if scope:
        final = final_states(states, scope)
        if any(s != TaskState.SUCCESS.value for s in final.values()):
            return True
        if len(final) < len(scope):
            return False
    between = spec.get("teardown_scope", ())
    if between and len(final_states(states, between)) < len(between):
        return False
    return ready(spec["trigger_rule"], states, spec["upstream"])


def spec_verdict(spec: Mapping, states: Mapping[str, str | None]
                 ) -> tuple[TaskState | None, str]:
    """`verdict` for a task spec that is `spec_ready`."""
    scope = final_states(states, spec.get("setup_scope", ()))
    failed = sorted(u for u, s in scope.items()
                    if s in (TaskState.FAILED.value, TaskState.UPSTREAM_FAILED.value))
    if failed:
        return TaskState.UPSTREAM_FAILED, f"setup failed ({', '.join(failed)})"
    skipped = sorted(u for u, s in scope.items() if s == TaskState.SKIPPED.value)
    if skipped:
        return TaskState.SKIPPED, f"setup skipped ({', '.join(skipped)})"
    return verdict(spec["trigger_rule"], final_states(states, spec["upstream"]),
                   spec.get("setups", ()))
