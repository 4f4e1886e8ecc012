"""Airflow's state names (`airflow.utils.state`), with Airflow's values, for DAG code.

chordflow's own states live in cluster/states.py; these are what Airflow users compare
against (`TaskInstanceState.SUCCESS == "success"`, `State.NONE is None`).
"""
from __future__ import annotations

import enum

from cluster.states import RunState


# A run's states are the same four in both.
DagRunState = RunState


class TaskInstanceState(str, enum.Enum):
    """States of a task instance (Airflow's full set; chordflow uses a subset)."""

    REMOVED = "removed"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    RESTARTING = "restarting"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"

    def __str__(self) -> str:
        return self.value


class State:
    """Airflow's `State`: every state as a constant, plus the usual groups."""

    NONE = None
    REMOVED = TaskInstanceState.REMOVED
    SCHEDULED = TaskInstanceState.SCHEDULED
    QUEUED = TaskInstanceState.QUEUED
    RUNNING = TaskInstanceState.RUNNING
    SUCCESS = TaskInstanceState.SUCCESS
    RESTARTING = TaskInstanceState.RESTARTING
    FAILED = TaskInstanceState.FAILED
    UP_FOR_RETRY = TaskInstanceState.UP_FOR_RETRY
    UP_FOR_RESCHEDULE = TaskInstanceState.UP_FOR_RESCHEDULE
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED
    SKIPPED = TaskInstanceState.SKIPPED
    DEFERRED = TaskInstanceState.DEFERRED

    finished_dr_states = frozenset([DagRunState.SUCCESS, DagRunState.FAILED])
    unfinished_dr_states = frozenset([DagRunState.QUEUED, DagRunState.RUNNING])
    finished = frozenset([SUCCESS, FAILED, SKIPPED, UPSTREAM_FAILED, REMOVED])
    unfinished = frozenset([None, SCHEDULED, QUEUED, RUNNING, RESTARTING, UP_FOR_RETRY,
                            UP_FOR_RESCHEDULE, DEFERRED])
    failed_states = frozenset([FAILED, UPSTREAM_FAILED])
    success_states = frozenset([SUCCESS, SKIPPED])


__all__ = ["DagRunState", "State", "TaskInstanceState"]
