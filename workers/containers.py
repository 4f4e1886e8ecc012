"""Run one container to completion: labelled, hardened, streamed into the task log, removed.

Shared by the docker runner (Python and Bash tasks in the runtime image) and the
DockerOperator (a task's own image).
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any

from cluster.errors import AirflowException
from cluster.sdk.operators.kubernetes import RESULT_MARK  # noqa: F401  (re-exported)

LABEL_PREFIX = "chordflow."


class ContainerTimeout(AirflowException):
    """The container outlived the task's execution_timeout; it was stopped and removed."""


@dataclasses.dataclass
class ContainerOutcome:
    """How a container ended and its last line of output (DockerOperator's XCom)."""

    exit_code: int
    last_line: str = ""
    lines: list[str] | None = None  # every output line, when asked for (xcom_all)
    retrieved: bytes | None = None  # the file asked for, read before the container went


def cluster_label(database_url: str) -> str:
    """Which installation a container belongs to: several may share one Docker engine, and
    each may only sweep its own containers."""
    import hashlib

    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def labels_for(context: dict[str, Any]) -> dict[str, str]:
    from workers.runtime import runtime

    ti = context["ti"]
    return {
        f"{LABEL_PREFIX}cluster": cluster_label(str(runtime().store.url)),
        f"{LABEL_PREFIX}dag_id": str(ti.dag_id), f"{LABEL_PREFIX}run": str(ti.run_pk),
        f"{LABEL_PREFIX}task_id": str(ti.task_id), f"{LABEL_PREFIX}try": str(ti.try_number),
    }


def try_container_name(context: dict[str, Any], database_url: str) -> str:
    """The name of a try's task container, `chordflow-<installation>-r<run>-<task>-t<try>`
    (`-m<index>` for a mapped task's child): `docker ps` tells which try each runs."""
    import re
    import secrets

    ti = context["ti"]
    task = re.sub(r"[^a-zA-Z0-9_.-]", "_", str(ti.task_id))[:150]
    index = int(getattr(ti, "map_index", -1))
    return (f"chordflow-{cluster_label(database_url)[:8]}-r{ti.run_pk}-{task}"
            f"{f'-m{index}' if index >= 0 else ''}-t{ti.try_number}-{secrets.token_hex(2)}")


def run_container(client: Any, image: str, command: Any, log: Any, timeout: float | None,
                  labels: dict[str, str], keep_lines: bool = False,
                  retrieve: str | None = None, **options: Any) -> ContainerOutcome:
    """Start `image`, stream its output into `log` live, wait, always remove it.

    `keep_lines` keeps every output line in the outcome; `retrieve` names a file of the
    container read once it has exited (DockerOperator's retrieve_output_path)."""
    container = client.containers.create(image, command=command, labels=labels, detach=True,
                                         **options)
    try:
        container.start()
        return follow(container, log, timeout, keep_lines, retrieve)
    finally:
        remove(container)


def follow(container: Any, log: Any, timeout: float | None, keep_lines: bool = False,
           retrieve: str | None = None, end_mark: str | None = None) -> ContainerOutcome:
    """Stream a started container's output into `log` until it exits (killed past
    `timeout`); how it ended. The caller removes it.

    With `end_mark`, the task container's entry point prints `<end_mark> <exit status>` on
    stdout and on stderr once its try is over and its output flushed: the try is over when
    both lines have come through, without waiting for the container's teardown."""
    outcome = ContainerOutcome(exit_code=-1, lines=[] if keep_lines else None)
    over = threading.Event()
    marks: list[int] = []
    reader = threading.Thread(target=_stream, args=(container, log, outcome, end_mark, marks,
                                                    over), daemon=True)
    reader.start()
    status: dict[str, Any] = {}

    def wait() -> None:
        try:
            status.update(container.wait(timeout=timeout) if timeout else container.wait())
        except Exception as exc:  # requests' ReadTimeout when the deadline passes
            status["error"] = exc
        over.set()

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    over.wait()
    if len(marks) >= 2:
        outcome.exit_code = marks[0]
        return outcome
    waiter.join()
    error = status.get("error")
    if error is not None:
        if "timed out" not in str(error).lower() and \
                "timeout" not in type(error).__name__.lower():
            raise error
        container.kill()
        raise ContainerTimeout(
            f"execution_timeout of {timeout:g}s exceeded: container stopped") from None
    reader.join(10)
    outcome.exit_code = int(status.get("StatusCode", -1))
    if retrieve:
        outcome.retrieved = _read_file(container, retrieve)
    return outcome


def remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except Exception:  # already gone (auto_remove) or the engine restarted
        pass


def _stream(container: Any, log: Any, outcome: ContainerOutcome, end_mark: str | None = None,
            marks: list[int] | None = None, over: threading.Event | None = None) -> None:
    pending = b""
    for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", errors="replace")
            if end_mark and marks is not None and over is not None and \
                    line.startswith(end_mark + " "):
                code = line[len(end_mark) + 1:].strip()
                marks.append(int(code) if code.lstrip("-").isdigit() else 1)
                if len(marks) >= 2:  # stdout's and stderr's: all output is in
                    over.set()
                    return
                continue
            _line(line, log, outcome)
    if pending:
        _line(pending.decode("utf-8", errors="replace"), log, outcome)


def _line(line: str, log: Any, outcome: ContainerOutcome) -> None:
    """Output is log text, whatever it looks like: results and signals never come this way."""
    log.write(line + "\n")
    if line.strip():
        outcome.last_line = line
    if outcome.lines is not None:
        outcome.lines.append(line)


def _read_file(container: Any, path: str) -> bytes | None:
    """A file of a stopped container (None when it is not there or empty)."""
    import io
    import tarfile

    try:
        chunks, stat = container.get_archive(path)
    except Exception:  # docker.errors.NotFound / APIError: nothing was written there
        return None
    if not stat.get("size"):
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        member = tar.extractfile(stat["name"])
        return member.read() if member is not None else None


def listed(client: Any, filters: dict[str, Any]) -> list[Any]:
    """The containers `filters` match, running or not, skipping those removed meanwhile
    (the engine's list followed by each one's inspect: task containers come and go)."""
    import docker.errors

    found = []
    for row in client.api.containers(all=True, filters=filters):
        try:
            found.append(client.containers.get(row["Id"]))
        except docker.errors.NotFound:
            continue
    return found


def remove_orphans(client: Any, store: Any) -> list[str]:
    """Remove chordflow containers whose try is no longer running in the store."""
    from cluster.store import tasks as ti_store

    mine = f"{LABEL_PREFIX}cluster={cluster_label(str(store.url))}"
    found = listed(client, {"label": [f"{LABEL_PREFIX}run", mine]})
    keys = {}
    for c in found:
        lb = c.labels
        try:
            keys[c.id] = (int(lb[f"{LABEL_PREFIX}run"]), lb[f"{LABEL_PREFIX}task_id"],
                          int(lb[f"{LABEL_PREFIX}try"]))
        except (KeyError, ValueError):
            continue
    alive = ti_store.running_tries(store, set(keys.values()))
    removed = []
    for c in found:
        if c.id in keys and keys[c.id] not in alive:
            try:
                c.remove(force=True)
                removed.append(c.name)
            except Exception:
                pass
    return removed + _remove_ended_warm(client, mine)


# A warm container that ended this long ago is no longer read by its worker (its output
# is read at most 10 s past its end).
WARM_GRACE = 15.0


def _remove_ended_warm(client: Any, mine: str) -> list[str]:
    """Warm containers (workers/runners/warm_pool.py) that ended and were left behind: each
    ends itself when its worker is gone (workers/container_entry.py)."""
    import datetime as dt

    removed = []
    now = dt.datetime.now(dt.timezone.utc)
    for c in listed(client, {"label": [f"{LABEL_PREFIX}warm", mine],
                             "status": ["exited", "created", "dead"]}):
        state = c.attrs.get("State") or {}
        when = state.get("FinishedAt") or ""
        if when.startswith("0001-"):  # never started
            when = c.attrs.get("Created") or ""
        try:
            ended = dt.datetime.fromisoformat(when[:26].rstrip("Z") + "+00:00")
        except ValueError:
            continue
        if (now - ended).total_seconds() > WARM_GRACE:
            remove(c)
            removed.append(c.name)
    return removed
