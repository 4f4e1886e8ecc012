"""What one task instance costs the store: statements, commits and time per delivery.

The deliveries run in this process against a real PostgreSQL (the canvas is not sent;
`run_delivery` is called in order), with SQLAlchemy events counting what reaches the
database. Deterministic where wall-clock numbers are noisy: a change to the hot path
shows here as a different count.
"""
from __future__ import annotations

import time
import types
from typing import Any

from sqlalchemy import event


class _NoRetry:
    """What `run_delivery` reads of its Celery task: no chord, no retries."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.request = types.SimpleNamespace(chord=None, group=None)

    def retry(self, **_: Any) -> None:
        raise RuntimeError("the benchmark's tasks do not retry")


def measure(cluster: Any, dag_id: str, task_ids: list[str]) -> dict[str, float]:
    """Run `task_ids` of a fresh run of `dag_id` one after another; per-task averages."""
    from cluster.control import scheduler
    from cluster.planning import canvas
    from cluster.control import services
    from workers.execution import run_delivery
    from workers.runtime import WorkerRuntime, install

    class _Unsent:
        def apply_async(self) -> None:
            pass

    build, canvas.build = canvas.build, lambda *a, **k: _Unsent()
    try:
        run = services.trigger(cluster, dag_id, {})
        scheduler.Scheduler(cluster.settings, cluster.store, cluster.app).start_queued_runs()
    finally:
        canvas.build = build
    install(WorkerRuntime(cluster.settings, cluster.store))
    run_delivery(_NoRetry(cluster.app), run.id, task_ids[0], 1)  # warm the caches, as a live worker is
    counts = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    engine = cluster.store.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        t0 = time.perf_counter()
        for task_id in task_ids[1:]:
            run_delivery(_NoRetry(cluster.app), run.id, task_id, 1)
        elapsed = time.perf_counter() - t0
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    n = len(task_ids) - 1
    return {"statements_per_ti": round(counts["statements"] / n, 2),
            "commits_per_ti": round(counts["commits"] / n, 2),
            "store_ms_per_ti": round(elapsed / n * 1000, 3), "tasks": n}


def scheduler_loop(cluster: Any, folder: Any, files: int = 1000, runs: int = 500) -> dict[str, float]:
    """A scheduler over `files` DAG files with `runs` active runs: how long a parse of the
    folder takes (each file in its own child) and how long one loop step without a parse
    takes (start queued runs, repair: zombies, lost messages, retries, closing)."""
    from pathlib import Path

    from cluster.control import scheduler, services

    from cluster.planning import canvas

    folder = Path(folder)
    for i in range(files):
        (folder / f"many_{i:03d}_dag.py").write_text(
            "from cluster import DAG, EmptyOperator, chain\n"
            f"with DAG('many_{i:03d}', schedule=None):\n"
            "    chain(*[EmptyOperator(task_id=f't{j}') for j in range(5)])\n")
    sched = scheduler.Scheduler(cluster.settings, cluster.store, cluster.app)
    t0 = time.perf_counter()
    sched.parse()
    parse_s = time.perf_counter() - t0

    class _Unsent:
        def apply_async(self) -> None:
            pass

    build, canvas.build = canvas.build, lambda *a, **k: _Unsent()
    try:
        for i in range(runs):
            services.trigger(cluster, f"many_{i % files:03d}", {})
        sched.start_queued_runs()
    finally:
        canvas.build = build
    steps = []
    for _ in range(20):
        t0 = time.perf_counter()
        sched.start_queued_runs()
        sched.repair()
        steps.append(time.perf_counter() - t0)
    steps.sort()
    return {"files": files, "active_runs": runs, "parse_s": round(parse_s, 2),
            "loop_step_ms_p50": round(steps[len(steps) // 2] * 1000, 1),
            "loop_step_ms_max": round(steps[-1] * 1000, 1)}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (the prefork pool), in MiB."""
    import os

    parents = {int(p): _ppid(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    pids, frontier = [pid], [pid]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier]
        pids += frontier
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return round(total / 1024, 1)


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
