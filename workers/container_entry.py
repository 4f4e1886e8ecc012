"""Inside a task container or pod: run one try through the task API.

`python -m workers.container_entry`, with the API's address and the try's token in
CHORDFLOW_TASK_API / CHORDFLOW_TASK_TOKEN, the only chordflow values in its
environment. No database is reachable from here; context, XComs, variables and
connections come through the API, and so go the result and the signals.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from workers.task_api.client import TaskApiClient
from workers.task_api.protocol import AHEAD_ENV
from workers.task_api.task_side import run_try

LINGER = 60.0  # seconds a container whose try is over waits for its worker to remove it


def main() -> int:
    # Line by line, as the process runner's child writes: print() and logging interleave in
    # the task log in the order they happened (a pipe would buffer stdout in blocks).
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    folder = Path(os.environ.get("CHORDFLOW_DAGS_FOLDER", "/opt/chordflow/dags"))
    client = TaskApiClient.from_env()
    _end_with_the_worker(client.address)
    code = run_try(client, folder, ahead=os.environ.get(AHEAD_ENV) or None)
    if client.end_mark:  # the try is over, its output flushed: the worker need not wait
        for stream in (sys.stdout, sys.stderr):  # for this process's and container's end
            stream.flush()
            print(f"{client.end_mark} {code}", file=stream, flush=True)
        # Ending now would put the engine's teardown of this container (50 ms and more of
        # its CPU) on the next try's path: its worker removes it when it is quiet instead
        # (workers/runners/warm_pool.py). A worker that is gone: the watch ends it.
        threading.Event().wait(LINGER)
    return code


def _end_with_the_worker(address: str, interval: float = 2.0) -> None:
    """A container whose worker is gone (SIGKILLed: its API socket refuses) ends itself;
    its try is the scheduler's to retry, and the worker's orphan sweep removes it."""
    parts = urlsplit(address)
    if parts.scheme != "unix":
        return

    def watch() -> None:
        while True:
            threading.Event().wait(interval)
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(parts.path)
            except (ConnectionRefusedError, FileNotFoundError):
                print("the worker running this try is gone: ending", file=sys.stderr,
                      flush=True)
                os._exit(70)
            except OSError:
                pass
            finally:
                probe.close()

    threading.Thread(target=watch, name="chordflow-worker-watch", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
