"""The Python client (the submit script's API): the same service functions as the CLI."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cluster.control import services
from cluster.config import Settings


@dataclasses.dataclass(frozen=True)
class TaskResult:
    task_id: str
    state: str
    try_number: int
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None
    map_index: int = -1


@dataclasses.dataclass(frozen=True)
class RunResult:
    id: int
    dag_id: str
    run_id: str
    state: str
    conf: dict[str, Any]
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    tasks: list[TaskResult]

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


class Client:
    """Trigger runs and read their state and logs.

    Parameters:
      settings: where the cluster is; by default from `CHORDFLOW_*` variables. With no
        broker configured, runs execute embedded in this process.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._cluster = services.Cluster.open(settings)

    def close(self) -> None:
        self._cluster.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None,
                run_id: str | None = None, wait: bool = False,
                timeout: float | None = None) -> RunResult:
        run = services.trigger(self._cluster, dag_id, conf, run_id)
        if wait:
            services.wait(self._cluster, run.id, timeout=timeout)
        return self.run(run.id)

    def wait(self, run: int | RunResult, timeout: float | None = None) -> RunResult:
        run_pk = run.id if isinstance(run, RunResult) else run
        services.wait(self._cluster, run_pk, timeout=timeout)
        return self.run(run_pk)

    def run(self, ref: int | str) -> RunResult:
        run, tis = services.run_details(self._cluster, ref)
        return RunResult(
            id=run.id, dag_id=run.dag_id, run_id=run.run_id, state=run.state,
            conf=dict(run.conf or {}), start_date=run.start_date, end_date=run.end_date,
            tasks=[TaskResult(t.task_id, t.state, t.try_number, t.start_date, t.end_date,
                              t.duration, t.map_index) for t in tis],
        )

    def runs(self, dag_id: str | None = None, limit: int = 50) -> list[RunResult]:
        return [self.run(r.id) for r in services.list_runs(self._cluster, dag_id, limit)]

    def logs(self, run: int | str | RunResult, task_id: str, try_number: int | None = None) -> str:
        ref = run.id if isinstance(run, RunResult) else run
        return "".join(text for _, text in services.task_logs(self._cluster, ref, task_id,
                                                                try_number))

    def dags(self, local: bool = False) -> list[str]:
        """The DAG ids the DAG processor recorded (read-only); `local=True` parses the
        DAGs folder here instead, recording nothing."""
        return [row[0] for row in services.folder_view(self._cluster, local).dags]

    def import_errors(self, local: bool = False) -> dict[str, str]:
        """file -> error of the files that failed to load, as `dags()` reads them."""
        return dict(services.folder_view(self._cluster, local).errors)

    def reserialize(self) -> list[str]:
        """Parse the DAGs folder now and record what it holds (`chordflow dags reserialize`)."""
        return services.sync_dags(self._cluster).dag_ids
