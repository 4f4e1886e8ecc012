"""What the task API costs a try: round trips and milliseconds, and the process runner's fork.

`python -m bench.task_api_cost [--calls N] [--tries N]`: a store of its own (SQLite in a
temporary directory: the numbers are the API's and the fork's, not a database's), the
worker's API on its Unix socket, a client as a task uses it. Prints one JSON object:
median milliseconds per call of each kind, the round trips a try makes under each
runner, and per try the process runner's cost (fork, clean environment, API result)
against running the operator in the worker process itself.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

DAG_FILE = '''
import datetime as dt
from cluster import DAG
from cluster.sdk.operators.python import PythonOperator

with DAG("b_api", start_date=dt.datetime(2024, 1, 1), schedule=None) as dag:
    PythonOperator(task_id="noop", python_callable=lambda: 1)
'''


def _median_ms(fn: Callable[[], Any], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.task_api_cost")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--tries", type=int, default=100)
    args = parser.parse_args()

    from cluster.config import Settings
    from cluster.control.loader import DagBag
    from cluster.control.scheduler import sync_dags
    from cluster.store import Store
    from cluster.store import runs as run_store
    from cluster.store import tasks as ti_store
    from cluster.store import xcoms as xcom_store
    from workers.context import build_context
    from workers.logs import TaskLogWriter
    from workers.runners.process import InWorkerRunner, ProcessRunner
    from workers.runtime import WorkerRuntime, install
    from workers.task_api.client import TaskApiClient
    from workers.task_api.protocol import Call
    from workers.task_api.tries import granted

    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-api-"))
    (tmp / "dags").mkdir()
    (tmp / "dags" / "b_api.py").write_text(DAG_FILE)
    url = f"sqlite:///{tmp / 'cf.db'}"
    store = Store(url)
    store.ensure_schema()
    settings = Settings.from_env({"CHORDFLOW_HOME": str(tmp),
                                  "CHORDFLOW_DAGS_FOLDER": str(tmp / "dags")}, database_url=url)
    rt = WorkerRuntime(settings, store)
    install(rt)
    sync_dags(store, tmp / "dags")
    dag = DagBag.load(tmp / "dags").dags["b_api"]
    run = run_store.create_run(store, "b_api", logical_date=dt.datetime(
        2024, 1, 1, tzinfo=dt.timezone.utc))
    from cluster.store import dags as dag_store

    run_store.start_run(store, run.id, dag_store.version_data(store, run.dag_version_id)["tasks"])
    ti_store.claim(store, run.id, "noop", 1, "bench", os.getpid())
    delivery = ti_store.load_delivery(store, run.id, "noop", [], -1)
    task = dag.get_task("noop")
    context = build_context(store, dag, task, delivery, 1, [])
    rt.store  # noqa: B018  (the API serves from this store)
    rt.settings.dags_folder  # noqa: B018
    secret = rt.task_api
    from cluster.sdk import secrets as secret_lookup

    secret_lookup.backend().set_variable("bench_var", "v" * 64)
    xcom_store.push_xcom(store, run.id, "noop", "k", json.dumps("x" * 100))
    address = secret.unix_address()
    out: dict[str, Any] = {"calls_per_kind": args.calls, "tries": args.tries}
    with granted(secret, settings.dags_folder, context, None) as grant:
        client = TaskApiClient(address, grant.token)
        client.call(Call.CONTEXT)
        out["ms_per_call"] = {
            "context": _median_ms(lambda: client.call(Call.CONTEXT), args.calls),
            "variable_get": _median_ms(
                lambda: client.call(Call.VARIABLE_GET, key="bench_var"), args.calls),
            "xcom_pull": _median_ms(lambda: client.call(
                Call.XCOM_PULL, task_ids=["noop"], key="k"), args.calls),
            "xcom_push": _median_ms(
                lambda: client.call(Call.XCOM_PUSH, key="p", value=1), args.calls),
            "result": _median_ms(lambda: client.call(Call.RESULT, value=1), args.calls),
            "new_connection_and_context": _median_ms(
                lambda: TaskApiClient(address, grant.token).call(Call.CONTEXT), args.calls),
        }
    # A PythonOperator that returns a value and reads nothing: the process runner's
    # child makes one call (its result); a container or pod also asks for its context.
    out["round_trips_per_plain_try"] = {"process": 1, "docker": 2, "kubernetes": 2}
    log = TaskLogWriter(store, run.id, "noop", 1)
    forked, in_worker = ProcessRunner(), InWorkerRunner()
    assert forked.execute(task, context, log, None) == 1
    out["ms_per_try"] = {
        "process_runner_forked": _median_ms(
            lambda: forked.execute(task, context, log, None), args.tries),
        "in_worker_process": _median_ms(
            lambda: in_worker.execute(task, context, log, None), args.tries),
    }
    out["fork_cost_ms"] = round(out["ms_per_try"]["process_runner_forked"]
                                - out["ms_per_try"]["in_worker_process"], 3)
    log.take()
    secret.close()
    store.dispose()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
