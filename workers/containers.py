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


def run_container(client: Any, image: str, command: Any, log: Any, timeout: float | None,
                  labels: dict[str, str], keep_lines: bool = False,
                  retrieve: str | None = None, **options: Any) -> ContainerOutcome:
    """Start `image`, stream its output into `log` live, wait, always remove it.

    `keep_lines` keeps every output line in the outcome; `retrieve` names a file of the
    container read once it has exited (DockerOperator's retrieve_output_path)."""
    container = client.containers.create(image, command=command, labels=labels, detach=True,
                                         **options)
    outcome = ContainerOutcome(exit_code=-1, lines=[] if keep_lines else None)
    try:
        container.start()
        reader = threading.Thread(target=_stream, args=(container, log, outcome), daemon=True)
        reader.start()
        try:
            status = container.wait(timeout=timeout) if timeout else container.wait()
        except Exception as exc:  # requests' ReadTimeout when the deadline passes
            if "timed out" not in str(exc).lower() and "timeout" not in type(exc).__name__.lower():
                raise
            container.kill()
            raise ContainerTimeout(
                f"execution_timeout of {timeout:g}s exceeded: container stopped") from None
        reader.join(10)
        outcome.exit_code = int(status.get("StatusCode", -1))
        if retrieve:
            outcome.retrieved = _read_file(container, retrieve)
        return outcome
    finally:
        try:
            container.remove(force=True)
        except Exception:  # already gone (auto_remove) or the engine restarted
            pass


def _stream(container: Any, log: Any, outcome: ContainerOutcome) -> None:
    pending = b""
    for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            _line(raw.decode("utf-8", errors="replace"), log, outcome)
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


def remove_orphans(client: Any, store: Any) -> list[str]:
    """Remove chordflow containers whose try is no longer running in the store."""
    from cluster.store import tasks as ti_store

    mine = f"{LABEL_PREFIX}cluster={cluster_label(str(store.url))}"
    found = client.containers.list(all=True, filters={"label": [f"{LABEL_PREFIX}run", mine]})
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
    return removed
