"""`/metrics` for Prometheus: queue depth per Celery queue, task instances and runs by
state, task and run durations, tries taken back from lost workers, pool slots used.

Everything is read from the store and the broker at scrape time, so any number of web
server replicas report the same numbers. The scheduler's loop time is not recorded in
the store yet and is not reported.
"""
from __future__ import annotations

import logging
from typing import Any, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from cluster.control.pools import list_pools
from cluster.control.services import Cluster
from cluster.states import RunState, TaskState
from cluster.store import browse

router = APIRouter()
log = logging.getLogger("chordflow.webserver")
BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
# kombu's Redis transport keeps each priority level of a queue in its own list
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class StoreCollector:
    """Builds every metric family from one look at the store and the broker."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def queue_depths(self) -> dict[str, int]:
        url = self.cluster.settings.broker_url
        if not url.startswith(("redis://", "rediss://")):
            return {}
        import redis

        queues = {"celery"} | browse.queues_in_use(self.cluster.store)
        client = redis.Redis.from_url(url, socket_timeout=3)
        try:
            return {q: sum(int(client.llen(q + s)) for s in _PRIORITY_SUFFIXES)
                    for q in sorted(queues)}
        finally:
            client.close()

    def collect(self) -> Iterator[Any]:
        store = self.cluster.store
        depth = GaugeMetricFamily("chordflow_queue_depth",
                                  "Messages waiting in each Celery queue", labels=["queue"])
        try:
            for queue, n in self.queue_depths().items():
                depth.add_metric([queue], n)
        except Exception as exc:  # the broker down must not hide the store's numbers
            log.warning("metrics: cannot read queue depths: %s", str(exc).splitlines()[0])
        yield depth
        tis = GaugeMetricFamily("chordflow_task_instances", "Task instances by state",
                                labels=["state"])
        counts = browse.task_state_counts(store)
        for state in TaskState:
            tis.add_metric([state.value], counts.get(state.value, 0))
        yield tis
        runs = GaugeMetricFamily("chordflow_dag_runs", "DAG runs by state", labels=["state"])
        counts = browse.run_state_counts(store)
        for state in RunState:
            runs.add_metric([state.value], counts.get(state.value, 0))
        yield runs
        for name, doc, of_runs in (
                ("chordflow_task_duration_seconds", "Durations of finished tries", False),
                ("chordflow_dag_run_duration_seconds", "Durations of finished runs", True)):
            cumulative, count, total = browse.duration_buckets(store, BUCKETS, runs=of_runs)
            yield HistogramMetricFamily(
                name, doc, sum_value=total,
                buckets=[(str(b), c) for b, c in zip(BUCKETS, cumulative)] + [("+Inf", count)])
        yield GaugeMetricFamily("chordflow_lost_tries",
                                "Task instances whose latest try was taken back from a lost "
                                "worker and not started again yet",
                                value=browse.lost_tries(store))
        used = GaugeMetricFamily("chordflow_pool_slots", "Pool slots", labels=["pool", "kind"])
        for name, slots, in_use, _ in list_pools(self.cluster):
            used.add_metric([name, "total"], slots)
            used.add_metric([name, "used"], in_use)
        yield used


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(request.app.state.cluster))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
