"""States of DAG runs and task instances, with the sets the code reasons about."""
from __future__ import annotations

import enum
from typing import Iterable


class RunState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


class TaskState(str, enum.Enum):
    NONE = "none"                # created, canvas sent, upstreams not done yet
    QUEUED = "queued"            # its message was (re)sent on its own by the scheduler
    RUNNING = "running"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"  # a sensor between pokes: holds no worker slot
    MAPPED = "mapped"            # a mapped task expanded into children; final when they are
    SUCCESS = "success"
    FAILED = "failed"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


FINAL_TASK_STATES = frozenset(
    {TaskState.SUCCESS, TaskState.FAILED, TaskState.UPSTREAM_FAILED, TaskState.SKIPPED}
)
# The same as the stored strings: for SQL `IN (...)` and for rows read back.
FINAL_TASK_STATE_VALUES: tuple[str, ...] = tuple(sorted(s.value for s in FINAL_TASK_STATES))
# States from which a worker may claim a task instance for a try.
CLAIMABLE_TASK_STATES = frozenset({TaskState.NONE, TaskState.QUEUED, TaskState.UP_FOR_RETRY,
                                   TaskState.UP_FOR_RESCHEDULE})
FAILED_TASK_STATES = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})
FINAL_RUN_STATES = frozenset({RunState.SUCCESS, RunState.FAILED})
# Every state a task instance can be in before it is final (`mapped`: a mapped task whose
# children run). Asked for by name, the (run, state) index finds one at once, where
# "not final" would walk past every finished task instance of the run.
UNFINISHED_TASK_STATES = frozenset(s for s in TaskState if s not in FINAL_TASK_STATES)
# A run's leaves in these states make it succeed (Airflow's `State.success_states`).
SUCCESS_TASK_STATES = frozenset({TaskState.SUCCESS, TaskState.SKIPPED})


def run_outcome(leaf_states: Iterable[TaskState | str]) -> RunState:
    """The state of a run whose task instances are all final, decided by its leaves as in
    Airflow: failed if any leaf failed or is upstream_failed, success otherwise. A failed
    task whose `all_done` cleanup leaf succeeded leaves the run successful."""
    return RunState.FAILED if any(TaskState(s) in FAILED_TASK_STATES for s in leaf_states) \
        else RunState.SUCCESS
