"""The raw Celery floor: no store, a no-op task that records when it ran (in Redis)."""
import os
import time

import redis
from celery import Celery

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
app = Celery("bench_floor", broker=BROKER, backend=BROKER)
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, task_serializer="json",
                accept_content=["json"], worker_hijack_root_logger=False)
_r = None


@app.task(name="bench.noop")
def noop(key: str, index: int) -> int:
    global _r
    start = time.time()
    if _r is None:
        _r = redis.Redis.from_url(BROKER)
        _r.ping()  # connected inside the span, as chordflow's bench task does
    end = time.time()
    _r.hset(key, index, f"{start:.6f},{end:.6f}")
    return index
