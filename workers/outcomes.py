"""What Flower is told about a delivery: the task instance's real outcome.

chordflow's Celery task returns normally when a task instance fails, so that chains and
chords go on (the store, not Celery, decides what runs next). Celery would then report
every delivery as SUCCESS. This Request class sends the event that matches the outcome
instead: `task-failed` (with the error) for a failed or upstream-failed try,
`task-revoked` for a skipped one, `task-succeeded` otherwise; retries are Celery
retries and show as RETRY already. The message is acknowledged and the result stored as
for any success, so the canvas is untouched: only the event differs.
"""
from __future__ import annotations

from typing import Any

from celery.worker.request import Request
from celery.worker.state import task_ready

FAILED_PREFIXES = ("failed", "upstream_failed")
SKIPPED_PREFIX = "skipped"


def describe(outcome: str, error: str | None) -> str:
    """The task's return value: its state, and the error of a failure (Flower's result)."""
    return f"{outcome}: {error}" if error and outcome.startswith(FAILED_PREFIXES) else outcome


class OutcomeRequest(Request):
    """A delivery whose events say how the task instance ended, not how Celery did."""

    def on_success(self, failed__retval__runtime: Any, **kwargs: Any) -> Any:
        failed, retval, runtime = failed__retval__runtime
        if failed or not isinstance(retval, str):
            return super().on_success(failed__retval__runtime, **kwargs)
        state, _, error = retval.partition(": ")
        if state.partition(":")[0] in FAILED_PREFIXES:
            self._acknowledge_as_done()
            self.send_event("task-failed", exception=f"TaskInstance{_title(state)}"
                            f"({error or state!r})", traceback=error or state)
            return None
        if state == SKIPPED_PREFIX:
            self._acknowledge_as_done()
            self.send_event("task-revoked", terminated=False, signum=None, expired=False)
            return None
        return super().on_success(failed__retval__runtime, **kwargs)

    def _acknowledge_as_done(self) -> None:
        task_ready(self, successful=True)
        if self.task.acks_late:
            self.acknowledge()


def _title(state: str) -> str:
    return "".join(part.title() for part in state.replace(":", "_").split("_"))
