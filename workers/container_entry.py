"""Inside a task container: load the DAG file, run one task, print its result on a marked line.

`python -m workers.container_entry` with the payload the docker runner passes in
`CHORDFLOW_TASK_PAYLOAD`. No database is reachable from here: XComs come in the
payload, and pushed ones go out as marked lines on stdout.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from cluster.context_var import use_context
from cluster.errors import (AirflowFailException, AirflowRescheduleException,
                            AirflowSkipException)
from cluster.loader import add_to_sys_path, load_dags_from_file
from cluster.params import values as param_values
from cluster.mapping import unmap
from cluster.templating import render_fields, template_context
from cluster.xcom_arg import RETURN_KEY, check_pull_arguments

from .containers import FAIL_MARK, RESCHEDULE_MARK, RESULT_MARK, SKIP_MARK, XCOM_MARK


class PayloadTI:
    """`ti` inside a container: XComs from the payload, pushes printed for the runner."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.dag_id, self.task_id = payload["dag_id"], payload["task_id"]
        self.run_id, self.run_pk = payload["run_id"], payload["run_pk"]
        self.try_number = payload["try_number"]
        self.map_index = payload.get("map_index", -1)
        self._upstream = payload.get("upstream", [])
        self._xcoms: dict[tuple[str, str], Any] = {}
        # a mapped task's value is its children's values, by map_index
        for t, m, k, v in sorted(payload.get("xcoms", []), key=lambda x: (x[0], x[1])):
            if m < 0:
                self._xcoms[(t, k)] = v
            else:
                self._xcoms.setdefault((t, k), []).append(v)
        started = payload.get("start_date")
        self.start_date = dt.datetime.fromisoformat(started) if started else None

    def xcom_push(self, key: str, value: Any) -> None:
        print(XCOM_MARK + json.dumps({"key": key, "value": value}), flush=True)

    def xcom_pull(self, task_ids: Any = None, key: str = RETURN_KEY,
                  dag_id: str | None = None, run_id: str | None = None,
                  include_prior_dates: bool = False, map_indexes: Any = None,
                  default: Any = None) -> Any:
        check_pull_arguments(include_prior_dates, map_indexes)
        if (dag_id or self.dag_id, run_id or self.run_id) != (self.dag_id, self.run_id):
            raise NotImplementedError(
                "xcom_pull(dag_id=..., run_id=...) of another run is not available inside a "
                "task container yet; run the task with the process runner")
        if isinstance(task_ids, str):
            return self._xcoms.get((task_ids, key), default)
        ids = list(task_ids) if task_ids is not None else self._upstream
        return [self._xcoms.get((t, key)) for t in ids]


class PayloadRun:
    def __init__(self, payload: dict[str, Any], logical_date: dt.datetime) -> None:
        self.dag_id, self.run_id = payload["dag_id"], payload["run_id"]
        self.conf, self.logical_date, self.id = payload["conf"], logical_date, payload["run_pk"]


def payload_asset_events(payload: dict[str, Any]) -> dict[str, Any]:
    """The asset events the worker put in the payload, as the context offers them."""
    from cluster.asset_events import AssetEventRecord, AssetEventsByAsset

    out = {}
    for name in ("triggering_asset_events", "inlet_events"):
        rows = (payload.get("asset_events") or {}).get(name) or []
        out[name] = AssetEventsByAsset(
            lambda rows=rows: [AssetEventRecord.from_json(r) for r in rows])
    out["triggering_dataset_events"] = out["triggering_asset_events"]
    return out


def read_payload() -> str:
    """The try's payload: a file (a pod's Secret volume) or the environment (docker runner)."""
    path = os.environ.get("CHORDFLOW_TASK_PAYLOAD_FILE")
    if path:
        return Path(path).read_text()
    return os.environ["CHORDFLOW_TASK_PAYLOAD"]


def main() -> int:
    payload = json.loads(base64.b64decode(read_payload()))
    folder = Path(os.environ.get("CHORDFLOW_DAGS_FOLDER", "/opt/chordflow/dags"))
    add_to_sys_path(folder)  # the task's lazy imports of the folder's modules, as in Airflow
    dags = {d.dag_id: d for d in load_dags_from_file(folder / payload["dag_file"])}
    dag = dags[payload["dag_id"]]
    task = dag.get_task(payload["task_id"])
    if payload.get("mapped_values") is not None:
        unmap(task, payload["mapped_values"])
    logical_date = dt.datetime.fromisoformat(payload["logical_date"])
    ti = PayloadTI(payload)
    interval = payload.get("data_interval")
    context = {
        **template_context(logical_date, dag.timetable, interval and tuple(
            dt.datetime.fromisoformat(d) for d in interval)), "dag": dag, "task": task, "ti": ti, "task_instance": ti,
        "dag_run": PayloadRun(payload, logical_date), "run_id": payload["run_id"],
        "params": param_values(payload["params"]), "try_number": payload["try_number"], "map_index": ti.map_index,
        "test_mode": False, "conf": {},
        **payload_asset_events(payload),
    }
    render_fields(task, context)
    # Task code's logging (an operator's `self.log`) goes to the container's output,
    # which is the task log.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    try:
        with use_context(context):
            result = task.execute(context)
    except AirflowSkipException as exc:
        print(SKIP_MARK + str(exc), flush=True)
        return 0
    except AirflowRescheduleException as exc:
        print(RESCHEDULE_MARK + exc.reschedule_date.isoformat(), flush=True)
        return 0
    except Exception as exc:
        traceback.print_exc()
        if isinstance(exc, AirflowFailException):
            print(FAIL_MARK + f"{type(exc).__name__}: {exc}", flush=True)
        return 1
    sys.stdout.flush()
    if task.do_xcom_push and result is not None:
        print("\n" + RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
