"""What the worker and a running try agree on: the calls, the signals, the environment."""
from __future__ import annotations

import enum

# The only two variables a task environment carries (besides the runtime's own PATH etc.).
ADDRESS_ENV = "CHORDFLOW_TASK_API"
TOKEN_ENV = "CHORDFLOW_TASK_TOKEN"
# A warm container's: the DAG file (relative to the DAGs folder) its try is likely of, to
# load while it waits (workers/runners/warm_pool.py).
AHEAD_ENV = "CHORDFLOW_DAG_FILE_AHEAD"
API_PREFIX = "/v1/"


class Call(str, enum.Enum):
    """One request of the task API (`POST /v1/<call>` with a JSON body)."""

    CONTEXT = "context"
    XCOM_PULL = "xcom_pull"
    XCOM_PUSH = "xcom_push"
    RESULT = "result"
    OUTLET_EVENTS = "outlet_events"
    SIGNAL = "signal"
    VARIABLE_GET = "variable_get"
    VARIABLE_SET = "variable_set"
    CONNECTION_GET = "connection_get"


class Signal(str, enum.Enum):
    """How a try ends other than by returning or raising: Airflow's control exceptions."""

    SKIP = "skip"
    SKIP_DOWNSTREAM = "skip_downstream"  # DownstreamTasksSkipped: the message lists task ids
    RESCHEDULE = "reschedule"
    FAIL = "fail"   # a failure that must not be retried (AirflowFailException and kin)
    ERROR = "error"  # any other exception: a failed try, retried by the task's retries


class Status(enum.IntEnum):
    """The HTTP statuses the API answers with."""

    OK = 200
    BAD_REQUEST = 400
    UNAUTHORIZED = 401
    NOT_FOUND = 404
    TOO_LARGE = 413
    ERROR = 500
