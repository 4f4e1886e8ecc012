"""The retry budget of a task instance: whether a failed try is retried, and after how long."""
from __future__ import annotations

from typing import Any, Mapping


def retry_delay(spec: Mapping[str, Any], try_number: int) -> float:
    """Seconds before the next try, with Airflow's exponential backoff when asked."""
    delay = float(spec.get("retry_delay") or 0)
    if spec.get("retry_exponential_backoff"):
        delay = delay * (2 ** (try_number - 1))
    cap = spec.get("max_retry_delay")
    return min(delay, float(cap)) if cap else delay


def next_retry_in(spec: Mapping[str, Any], try_number: int, max_tries: int) -> float | None:
    """Seconds until the retry of failed try `try_number`, or None when the budget is spent.

    `max_tries` is the task instance's (a clear raises it above the task's `retries`);
    the backoff counts the tries since that last raise."""
    retries = int(spec.get("retries") or 0)
    budget = max(max_tries, retries)
    if try_number > budget:
        return None
    return retry_delay(spec, try_number - (budget - retries))
