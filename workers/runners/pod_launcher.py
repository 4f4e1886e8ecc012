"""One task pod from creation to clean-up: wait for it, stream its log, read its end, delete it.

Waits are watches (the API server pushes changes; nothing polls), bounded by the startup
timeout and the try's execution timeout. The log is followed with timestamps, so a
dropped stream resumes where it stopped without repeating or losing a line. The outcome
comes from the base container's terminated state: only exit code 0, on a pod Kubernetes
neither evicted nor stopped at a deadline, is a success. Whatever ends the try (its own
end, a timeout, a cancel, SIGTERM, an error), the pod is deleted unless its
`on_finish_action` keeps a pod that ended by itself.
"""
from __future__ import annotations

import calendar
import contextlib
import json
import logging
import math
import signal
import threading
import time
from typing import Any, Callable, Iterator

import urllib3
from kubernetes import watch
from kubernetes.client import models as k8s
from kubernetes.client.rest import ApiException

from cluster.sdk.pod_spec import BASE_CONTAINER, OnFinishAction

from workers.containers import RESULT_MARK
from workers.runners.pod_status import (PodCancelled, PodError, PodGone, PodOutcome, PodStartupTimeout,
                         PodTerminated, PodTimeout, finished, outcome_of, started,
                         waiting_reason)

log = logging.getLogger("chordflow.worker")

# Waiting reasons that no amount of waiting fixes.
HOPELESS_WAITING = frozenset({"InvalidImageName", "ErrImageNeverPull"})
RESUME_MARGIN = 60   # seconds re-read after a dropped log stream (clock skew); repeats dropped
CONNECT_TIMEOUT = 10
_DROPPED = (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, OSError)
XCOM_FILE_HINT = "the XCom written to /airflow/xcom/return.json"


class PodLauncher:
    """Runs one pod with `api` (a CoreV1Api), writing its output to `log`.

    Parameters:
      should_stop: asked every `check_interval` seconds; a reason string cancels the try.
      read_timeout: longest wait for one read; silent stretches just reconnect.
      clock / wall / sleep: monotonic seconds, epoch seconds and a pause (tests pass a
        simulated clock).
    """

    def __init__(self, api: Any, log_writer: Any, *, should_stop: Callable[[], str | None] | None
                 = None, check_interval: float = 5.0, read_timeout: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        self.api, self.log = api, log_writer
        self.should_stop, self.check_interval = should_stop, check_interval
        self.read_timeout, self.clock, self.wall, self.sleep = read_timeout, clock, wall, sleep
        self._checked = clock()
        self._outcome: PodOutcome | None = None
        self._read_result = True

    # -- the lifecycle -------------------------------------------------------------------
    def run(self, pod: k8s.V1Pod, *, startup_timeout: float, timeout: float | None = None,
            get_logs: bool = True, read_result: bool = True,
            on_finish_action: OnFinishAction | str = OnFinishAction.DELETE_POD,
            log_events_on_failure: bool = True) -> PodOutcome:
        name, ns = pod.metadata.name, pod.metadata.namespace
        outcome = self._outcome = PodOutcome(name, ns)
        # Only a task's own pod (KubernetesPodOperator) states its result in its output;
        # a runtime-image try reports through the task API, so its output is log text.
        self._read_result = read_result
        start = self.clock()
        deadline = start + timeout if timeout else None
        created = False
        with _sigterm_raises():
            try:
                try:
                    self.api.create_namespaced_pod(ns, pod)
                except ApiException:
                    raise  # refused: there is no pod
                except BaseException:
                    created = True  # interrupted mid-request: the pod may exist
                    raise
                created = True
                self._say(f"pod {ns}/{name} created ({pod.spec.containers[0].image})")
                startup_end = start + startup_timeout
                self._wait(name, ns, started, min(startup_end, deadline or startup_end),
                           lambda p: self._startup_error(p, startup_timeout, deadline))
                if get_logs:
                    self._follow_logs(name, ns, deadline)
                final = self._wait(name, ns, finished, deadline, self._timeout_error)
                if not get_logs and read_result:
                    self._read_log(name, ns, _LogCursor(), deadline, follow=False,
                                   tail_lines=1, quiet=True)
                outcome_of(final, outcome)
                if not outcome.succeeded and log_events_on_failure:
                    self._log_events(name, ns)
                return outcome
            except PodStartupTimeout:
                self._log_events(name, ns)
                raise
            finally:
                if created:
                    self._clean_up(name, ns, outcome, OnFinishAction(on_finish_action))

    def _clean_up(self, name: str, ns: str, outcome: PodOutcome, action: OnFinishAction) -> None:
        if outcome.ended and not action.deletes(outcome.succeeded):
            self._say(f"pod {ns}/{name} kept ({action.value})")
            return
        delete_pod(self.api, name, ns)

    # -- waiting on the pod's status, with a watch ---------------------------------------------
    def _wait(self, name: str, ns: str, done: Callable[[k8s.V1Pod], bool],
              deadline: float | None, expired: Callable[[k8s.V1Pod | None], Exception]
              ) -> k8s.V1Pod:
        last: k8s.V1Pod | None = None
        while True:
            self._check(None)
            window = self.read_timeout if deadline is None else deadline - self.clock()
            if window <= 0:
                raise expired(last)
            seconds = max(1, math.ceil(min(window, self.read_timeout)))
            stream = watch.Watch()
            try:
                for event in stream.stream(
                        self.api.list_namespaced_pod, ns, field_selector=f"metadata.name={name}",
                        timeout_seconds=seconds, _request_timeout=(CONNECT_TIMEOUT, seconds + 15)):
                    if event["type"] == "DELETED":
                        raise PodGone(f"pod {ns}/{name} was deleted before it ended")
                    if event["type"] not in ("ADDED", "MODIFIED"):
                        continue
                    last = event["object"]
                    if done(last):
                        return last
                    hopeless = waiting_reason(last)
                    if hopeless.split(":")[0] in HOPELESS_WAITING:
                        raise PodError(f"pod {ns}/{name} cannot start: {hopeless}")
                    self._check(None)
                    if deadline is not None and self.clock() >= deadline:
                        break
            except ApiException as exc:
                if exc.status == 404:
                    raise PodGone(f"pod {ns}/{name} is gone") from None
                if exc.status != 410 and exc.status < 500:
                    raise
                self.sleep(1.0)
            except _DROPPED:
                self.sleep(1.0)
            finally:
                stream.stop()

    def _startup_error(self, pod: k8s.V1Pod | None, startup_timeout: float,
                       deadline: float | None) -> Exception:
        if deadline is not None and self.clock() >= deadline:
            return self._timeout_error(pod)
        assert self._outcome is not None
        where = f"pod {self._outcome.namespace}/{self._outcome.name}"
        state = waiting_reason(pod) if pod is not None else "no status yet"
        return PodStartupTimeout(
            f"{where} did not start within {startup_timeout:g}s (startup_timeout_seconds): "
            f"{state}")

    def _timeout_error(self, pod: k8s.V1Pod | None) -> Exception:
        assert self._outcome is not None
        return PodTimeout(f"execution_timeout exceeded: pod {self._outcome.namespace}/"
                          f"{self._outcome.name} deleted")

    def _check(self, deadline: float | None) -> None:
        now = self.clock()
        if deadline is not None and now >= deadline:
            raise self._timeout_error(None)
        if self.should_stop is not None and now - self._checked >= self.check_interval:
            self._checked = now
            reason = self.should_stop()
            if reason:
                raise PodCancelled(f"{reason}: pod deleted")

    # -- the log ------------------------------------------------------------------------------
    def _follow_logs(self, name: str, ns: str, deadline: float | None) -> None:
        """Follow the base container's log to its end, reconnecting after drops."""
        cursor = _LogCursor()
        drops = 0
        while True:
            self._check(deadline)
            ended = False
            try:
                self._read_log(name, ns, cursor, deadline, follow=True)
                drops = 0
                ended = True
            except ApiException as exc:
                if exc.status == 404:
                    raise PodGone(f"pod {ns}/{name} is gone") from None
                if exc.status not in (0, 400, 429) and exc.status < 500:
                    raise
                drops += 1
            except urllib3.exceptions.ReadTimeoutError:
                drops = 0  # a quiet container: look at the pod, then listen again
            except _DROPPED as exc:
                drops += 1
                log.info("log stream of pod %s/%s dropped (%s); resuming", ns, name,
                         type(exc).__name__)
            if finished(self._read_pod(name, ns)):
                break
            if drops > 1:  # an API server that keeps failing is not hammered
                self.sleep(min(drops, 5))
            elif ended:  # the stream ended before the status did: it lags by a moment
                self.sleep(1.0)
        for attempt in range(3):  # what the follow may have missed before the end
            try:
                self._read_log(name, ns, cursor, deadline, follow=False)
                return
            except (ApiException, *_DROPPED) as exc:
                if isinstance(exc, ApiException) and exc.status == 404:
                    raise PodGone(f"pod {ns}/{name} is gone") from None
                self.sleep(1.0)

    def _read_log(self, name: str, ns: str, cursor: "_LogCursor", deadline: float | None,
                  follow: bool, tail_lines: int | None = None, quiet: bool = False) -> None:
        read = self.read_timeout if deadline is None else min(
            self.read_timeout, max(1.0, deadline - self.clock()))
        options: dict[str, Any] = dict(
            container=BASE_CONTAINER, follow=follow, timestamps=True, _preload_content=False,
            _request_timeout=(CONNECT_TIMEOUT, read))
        since = cursor.since_seconds(self.wall())
        if since is not None:
            options["since_seconds"] = since
        if tail_lines is not None:
            options["tail_lines"] = tail_lines
        response = self.api.read_namespaced_pod_log(name, ns, **options)
        cursor.reconnect()
        pending = b""
        try:
            for chunk in response.stream(decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    self._emit(raw, cursor, quiet)
                self._check(deadline)
            if pending and not follow:  # a complete read: the last line may lack "\n"
                self._emit(pending, cursor, quiet)
        finally:
            response.close()
            response.release_conn()

    def _emit(self, raw: bytes, cursor: "_LogCursor", quiet: bool) -> None:
        key, text = _split_timestamp(raw.decode("utf-8", errors="replace").rstrip("\r"))
        if key is not None and not cursor.accept(key):
            return
        outcome = self._outcome
        assert outcome is not None
        if self._read_result and text.startswith(RESULT_MARK):
            try:
                outcome.result = json.loads(text[len(RESULT_MARK):])
            except ValueError:
                raise PodError(f"{XCOM_FILE_HINT} is not valid JSON: "
                               f"{text[len(RESULT_MARK):][:200]!r}") from None
            outcome.has_result = True
        elif not quiet:
            self.log.write(text + "\n")
            if text.strip():
                outcome.last_line = text

    # -- small API calls ----------------------------------------------------------------------
    def _read_pod(self, name: str, ns: str) -> k8s.V1Pod:
        try:
            return self.api.read_namespaced_pod(name, ns)
        except ApiException as exc:
            if exc.status == 404:
                raise PodGone(f"pod {ns}/{name} is gone") from None
            raise

    def _log_events(self, name: str, ns: str) -> None:
        try:
            events = self.api.list_namespaced_event(
                ns, field_selector=f"involvedObject.name={name}").items
        except Exception as exc:  # events are a help, never a reason to fail
            log.info("events of pod %s/%s unavailable: %s", ns, name, exc)
            return
        for event in events or []:
            self._say(f"pod event: {event.type} {event.reason}: {event.message}")

    def _say(self, text: str) -> None:
        line = getattr(self.log, "line", None)
        if line is not None:
            line(text)
        else:
            self.log.write(text + "\n")


def delete_pod(api: Any, name: str, ns: str) -> bool:
    """Delete a pod; a pod already gone counts as deleted. Never raises (a sweep retries)."""
    try:
        api.delete_namespaced_pod(name, ns, body=k8s.V1DeleteOptions())
        return True
    except ApiException as exc:
        if exc.status == 404:
            return True
        log.warning("could not delete pod %s/%s: %s", ns, name, exc.reason)
    except Exception as exc:
        log.warning("could not delete pod %s/%s: %s", ns, name, exc)
    return False


class _LogCursor:
    """How far the log was read: the last timestamp and how many lines carried it.

    After a reconnect the stream restarts somewhat earlier; lines older than the last
    timestamp are dropped, and of those with exactly that timestamp as many as were
    already written.
    """

    def __init__(self) -> None:
        self.last: tuple[int, int] | None = None
        self.count = 0
        self._skip = 0

    def reconnect(self) -> None:
        self._skip = self.count

    def accept(self, key: tuple[int, int]) -> bool:
        if self.last is None or key > self.last:
            self.last, self.count, self._skip = key, 1, 0
            return True
        if key < self.last:
            return False
        if self._skip > 0:
            self._skip -= 1
            return False
        self.count += 1
        return True

    def since_seconds(self, now: float) -> int | None:
        if self.last is None:
            return None
        return max(1, math.ceil(now - self.last[0]) + RESUME_MARGIN)


def _split_timestamp(line: str) -> tuple[tuple[int, int] | None, str]:
    """`2024-01-01T00:00:01.123456789Z text` -> ((seconds, nanoseconds), "text")."""
    stamp, sep, text = line.partition(" ")
    if not stamp.endswith("Z") or "T" not in stamp:
        return None, line
    whole, _, fraction = stamp[:-1].partition(".")
    try:
        seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
        nanos = int((fraction + "000000000")[:9]) if fraction else 0
    except ValueError:
        return None, line
    return (seconds, nanos), text


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While a pod runs, SIGTERM (a terminated prefork child) deletes it before dying.

    Only where SIGTERM would otherwise kill the process outright (the default action on
    the main thread): Celery's own handler in a worker's main process means a warm
    shutdown, which lets the try finish, and is left alone.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise PodTerminated("SIGTERM")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except PodTerminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)  # the pod is deleted: now die as asked
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
