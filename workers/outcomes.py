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

import ast
from typing import Any

from celery.worker.request import Request

FAILED_PREFIXES = ("failed", "upstream_failed")
SKIPPED_PREFIX = "skipped"


def describe(outcome: str, error: str | None) -> str:
    """The task's return value: its state, and the error of a failure (Flower's result)."""
    return f"{outcome}: {error}" if error and outcome.startswith(FAILED_PREFIXES) else outcome


class OutcomeRequest(Request):
    """A delivery whose events say how the task instance ended, not how Celery did.

    Celery builds a subclass of this per task type whose `on_success` acknowledges the
    message and sends `task-succeeded`; that one event is what is rewritten here.
    """

    def send_event(self, type: str, **fields: Any) -> None:  # noqa: A002  (Celery's name)
        if type == "task-succeeded":
            outcome = _returned(fields.get("result"))
            state, _, error = outcome.partition(": ")
            if state.partition(":")[0] in FAILED_PREFIXES:
                type = "task-failed"
                fields = {"exception": f"TaskInstance{_title(state)}({error or state!r})",
                          "traceback": f"{state}: {error}" if error else state}
            elif state == SKIPPED_PREFIX:
                type = "task-revoked"
                fields = {"terminated": False, "signum": None, "expired": False}
        super().send_event(type, **fields)


def _returned(result: Any) -> str:
    """The task's return value as text: the pool hands over its repr."""
    if not isinstance(result, str):
        return ""
    if result[:1] in "'\"" and result[-1:] == result[:1]:
        try:
            value = ast.literal_eval(result)
            return value if isinstance(value, str) else ""
        except (ValueError, SyntaxError):  # a repr cut short: its text is still the outcome
            return result.strip("'\"")
    return result


def _title(state: str) -> str:
    return "".join(part.title() for part in state.replace(":", "_").split("_"))
