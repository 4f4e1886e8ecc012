"""A backlog is not a loss: the queued-timeout resend publishes only messages the broker no
longer holds, so a queue waiting longer than the timeout does not grow."""
import json

import redis as redis_lib

from cluster.control import services
from tests.servers import wait_for

KEPT = "its message still waits in the broker; not resent"


def test_a_backlog_older_than_the_queued_timeout_does_not_grow_the_queue(cluster_env):
    scheduler = cluster_env.scheduler(CHORDFLOW_QUEUED_TIMEOUT="1",
                                      CHORDFLOW_LOG_LEVEL="DEBUG")
    client = redis_lib.Redis.from_url(cluster_env.env["CHORDFLOW_BROKER_URL"])
    for i in range(3):
        assert cluster_env.cli("trigger", "t_chain", "--run-id", f"b{i}").returncode == 0
    # No worker: each run's first message waits in the `celery` list, the backlog.
    wait_for(lambda: client.llen("celery") == 3, 30, what="the runs' first messages")
    # Each overdue task found in the queue again, five times over (every queued timeout).
    wait_for(lambda: client.llen("celery") > 3 or scheduler.output.count(KEPT) >= 15, 60,
             what="the scheduler to find the backlog overdue five times (or to resend it)")
    assert client.llen("celery") == 3
    assert "sending it again" not in scheduler.output

    # One message lost for real: that one, and only that one, is sent again.
    lost = json.loads(client.lpop("celery"))["headers"]["shadow"]
    assert lost == "t_chain.a"
    wait_for(lambda: "its message lost; sending it again" in scheduler.output, 30,
             what="the lost message to be resent")
    wait_for(lambda: client.llen("celery") > 3 or scheduler.output.count(KEPT) >= 25, 60,
             what="more repair cycles")
    assert client.llen("celery") == 3
    assert scheduler.output.count("sending it again") == 1

    cluster_env.worker(concurrency=2)
    handle = cluster_env.cluster()
    runs = services.list_runs(handle, "t_chain")
    for run in runs:
        assert services.wait(handle, run.id, timeout=120).state == "success"
    tries = {(r.run_id, t.task_id): t.try_number for r in runs
             for t in services.run_details(handle, r.id)[1]}
    handle.close()
    # The resent message carries the same try: every task instance ran once.
    assert len(tries) == 9 and set(tries.values()) == {1}, tries

