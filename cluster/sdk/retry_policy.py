"""Retry policies (Airflow 3.3's `airflow.sdk` RetryPolicy): the exception a try raised
decides whether it is retried, failed at once, or left to `retries` / `retry_delay`.

The policy runs where the exception is, in the try's own process (a forked child, a task
container, or the worker for operators that run there); the worker gets its decision:
fail without retrying, or retry after the policy's delay (still within `retries`).
"""
from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import enum
import importlib
from typing import Any

from cluster.errors import AirflowFailException, AirflowSensorTimeout, AirflowSkipException



class RetryAction(enum.Enum):
    """What happens after a failure: RETRY (within `retries`), FAIL at once, or DEFAULT
    (the task's own retry settings)."""

    RETRY = "retry"
    FAIL = "fail"
    DEFAULT = "default"


@dataclasses.dataclass(frozen=True)
class RetryDecision:
    """A policy's answer: the action, a delay for this retry, and why."""

    action: RetryAction = RetryAction.DEFAULT
    retry_delay: dt.timedelta | None = None
    reason: str | None = None

    @classmethod
    def fail(cls, reason: str | None = None) -> "RetryDecision":
        return cls(action=RetryAction.FAIL, reason=reason)

    @classmethod
    def retry(cls, delay: dt.timedelta | None = None,
              reason: str | None = None) -> "RetryDecision":
        return cls(action=RetryAction.RETRY, retry_delay=delay, reason=reason)

    @classmethod
    def default(cls) -> "RetryDecision":
        return cls(action=RetryAction.DEFAULT)


class RetryPolicy(abc.ABC):
    """Subclass and implement `evaluate(exception, try_number, max_tries, context)`."""

    @abc.abstractmethod
    def evaluate(self, exception: BaseException, try_number: int, max_tries: int,
                 context: dict[str, Any] | None = None) -> RetryDecision:
        """The decision for this failure (AirflowFailException and AirflowSensorTimeout
        always fail the task; the policy is not asked for them)."""


def _import_string(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@dataclasses.dataclass
class RetryRule:
    """An exception (a class, a dotted path, or a list of them) and what to do for it.

    Parameters:
      exception: what the rule matches.
      action: RETRY (default), FAIL or DEFAULT.
      retry_delay: the delay of this retry instead of the task's.
      reason: said in the log with the decision.
      match_subclasses: isinstance (True) or the exact class only.
    """

    exception: Any
    action: RetryAction = RetryAction.RETRY
    retry_delay: dt.timedelta | None = None
    reason: str | None = None
    match_subclasses: bool = True

    def __post_init__(self) -> None:
        for spec in self._specs:
            if isinstance(spec, str):
                if not spec or "." not in spec:
                    raise ValueError("RetryRule exception string must be a dotted import path "
                                     f"(e.g. 'builtins.ValueError'), got {spec!r}")
            elif not (isinstance(spec, type) and issubclass(spec, BaseException)):
                raise TypeError(f"RetryRule exception must be an exception class or a dotted "
                                f"path, got {spec!r}")
        if not isinstance(self.action, RetryAction):
            self.action = RetryAction(self.action)

    @property
    def _specs(self) -> list[Any]:
        return self.exception if isinstance(self.exception, list) else [self.exception]

    def matches(self, exc: BaseException) -> bool:
        """Whether `exc` is one of the rule's exceptions (a path that does not import, e.g.
        a package the try lacks, matches nothing: the exception cannot be one)."""
        classes = []
        for spec in self._specs:
            if isinstance(spec, type):
                classes.append(spec)
                continue
            try:
                classes.append(_import_string(spec))
            except (ImportError, AttributeError):
                continue
        if not classes:
            return False
        return isinstance(exc, tuple(classes)) if self.match_subclasses else type(exc) in classes


class ExceptionRetryPolicy(RetryPolicy):
    """Rules tried in order, the first match wins; `default` when none matches."""

    def __init__(self, rules: list[RetryRule],
                 default: RetryAction = RetryAction.DEFAULT) -> None:
        self.rules = list(rules)
        self.default = default

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int,
                 context: dict[str, Any] | None = None) -> RetryDecision:
        for rule in self.rules:
            if rule.matches(exception):
                return RetryDecision(action=rule.action, retry_delay=rule.retry_delay,
                                     reason=rule.reason or
                                     f"Matched rule for {type(exception).__name__}")
        return RetryDecision(action=self.default)


def decide(task: Any, exc: BaseException, try_number: int,
           context: dict[str, Any] | None) -> RetryDecision | None:
    """The task's policy's decision for `exc` (None: no policy, or not asked), printed to
    the try's log; a policy that raises leaves the task's own retry settings."""
    policy = getattr(task, "retry_policy", None)
    if policy is None or isinstance(exc, (AirflowFailException, AirflowSensorTimeout,
                                          AirflowSkipException)):
        return None
    try:
        decision = policy.evaluate(exception=exc, try_number=try_number,
                                   max_tries=int(getattr(task, "retries", 0) or 0),
                                   context=context)
    except Exception as failure:
        print(f"retry policy failed ({type(failure).__name__}: {failure}); the task's retry "
              "settings apply")
        return None
    print(f"retry policy: {decision.action.value}"
          + (f" after {decision.retry_delay.total_seconds():g}s"
             if decision.retry_delay is not None else "")
          + (f" ({decision.reason})" if decision.reason else ""))
    return decision


__all__ = ["ExceptionRetryPolicy", "RetryAction", "RetryDecision", "RetryPolicy", "RetryRule"]
