"""LatestOnlyOperator: let only the latest scheduled run go on; older ones skip downstream."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cluster.sdk.schedules import following
from cluster.sdk.operators.branch import BaseBranchOperator


class LatestOnlyOperator(BaseBranchOperator):
    """Skips its direct downstream tasks (and, through their trigger rules, what follows)
    unless this run is the latest: now lies in the schedule interval after this run's
    data interval. Manually triggered runs, and DAGs without a periodic schedule, always
    go on — as in Airflow.
    """

    ui_color = "#e9ffdb"
    # The decision needs only the run's type and dates, which the worker has: no user
    # code runs, so no task container is started for it.
    runs_own_container = True

    def choose_branch(self, context: dict[str, Any]) -> list[str]:
        downstream = sorted(self.downstream_task_ids)
        dag_run = context.get("dag_run")
        if getattr(dag_run, "run_type", "manual") == "manual":
            self.log.info("Manually triggered DAG_Run: allowing execution to proceed.")
            return downstream
        left = context["data_interval_end"]
        right = following(self.dag.schedule if self.dag else None, left)
        if right is None:
            self.log.info("No next schedule: allowing execution to proceed.")
            return downstream
        now = dt.datetime.now(dt.timezone.utc)
        self.log.info("Checking latest only with left_window: %s right_window: %s now: %s",
                      left, right, now)
        if not left < now <= right:
            self.log.info("Not latest execution, skipping downstream.")
            return []
        self.log.info("Latest, allowing execution to proceed.")
        return downstream


__all__ = ["LatestOnlyOperator"]
