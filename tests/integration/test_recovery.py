"""Lost work is found again from the store: lost messages, two schedulers at once."""
import json

import redis as redis_lib

from cluster.control import services
from tests.servers import wait_for


def test_lost_message_is_resent_after_the_queued_timeout(cluster_env):
    """Delete a task's message from the Redis queue: the scheduler resends it."""
    scheduler = cluster_env.scheduler(CHORDFLOW_QUEUED_TIMEOUT="3")
    client = redis_lib.Redis.from_url(cluster_env.env["CHORDFLOW_BROKER_URL"])
    assert cluster_env.cli("trigger", "t_chain").returncode == 0
    handle = cluster_env.cluster()
    run = services.list_runs(handle, "t_chain", limit=1)[0]

    # No worker yet: the canvas's first message waits in the `celery` list. Drop it.
    wait_for(lambda: client.llen("celery") == 1, 30, what="the run's first message")
    raw = client.lpop("celery")
    body = json.loads(raw)
    assert body["headers"]["shadow"] == "t_chain.a" and body["headers"]["argsrepr"].startswith("(")
    cluster_env.worker(concurrency=2)

    final = services.wait(handle, run.id, timeout=120)
    _, tis = services.run_details(handle, run.id)
    handle.close()
    assert final.state == "success"
    assert [(t.task_id, t.state, t.try_number) for t in tis] == [
        ("a", "success", 1), ("b", "success", 1), ("c", "success", 1)]
    assert "sending it again" in scheduler.output


def test_two_schedulers_start_each_run_once(cluster_env):
    schedulers = [p for p in cluster_env.procs if "scheduler" in p.log_path.name]
    schedulers += [cluster_env.scheduler(), cluster_env.scheduler()]
    cluster_env.worker(concurrency=4)
    for i in range(5):
        assert cluster_env.cli("trigger", "t_wide", "--run-id", f"r{i}").returncode == 0
    handle = cluster_env.cluster()
    runs = services.list_runs(handle, "t_wide")
    assert len(runs) == 5
    for run in runs:
        assert services.wait(handle, run.id, timeout=120).state == "success"
        _, tis = services.run_details(handle, run.id)
        assert len(tis) == 32 and {t.try_number for t in tis} == {1}
    started = sum(p.output.count("started: 32 tasks") for p in schedulers)
    handle.close()
    assert started == 5
