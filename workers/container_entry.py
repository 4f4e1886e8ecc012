"""Inside a task container or pod: run one try through the task API.

`python -m workers.container_entry`, with the API's address and the try's token in
CHORDFLOW_TASK_API / CHORDFLOW_TASK_TOKEN, the only chordflow values in its
environment. No database is reachable from here; context, XComs, variables and
connections come through the API, and so go the result and the signals.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from workers.task_api.client import TaskApiClient
from workers.task_api.task_side import run_try


def main() -> int:
    # Line by line, as the process runner's child writes: print() and logging interleave in
    # the task log in the order they happened (a pipe would buffer stdout in blocks).
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    folder = Path(os.environ.get("CHORDFLOW_DAGS_FOLDER", "/opt/chordflow/dags"))
    return run_try(TaskApiClient.from_env(), folder)


if __name__ == "__main__":
    sys.exit(main())
