"""What a message may carry: a pickled message is never unpickled, and the worker goes on."""
import os
import uuid

from tests.servers import wait_for


class Payload:
    """Unpickling this runs a command: what a pickle-accepting worker would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickled_message_is_refused_and_the_worker_goes_on(running_cluster, tmp_path):
    from kombu import Connection

    marker = tmp_path / "unpickled"
    task_id = str(uuid.uuid4())
    with Connection(running_cluster.env["CHORDFLOW_BROKER_URL"]) as conn:
        producer = conn.Producer(serializer="pickle")
        producer.publish(
            ((Payload(str(marker)), "t", 1), {}, {"callbacks": None, "errbacks": None,
                                                   "chain": None, "chord": None}),
            routing_key="celery", exchange="",
            headers={"lang": "py", "task": "chordflow.run_task_instance", "id": task_id,
                     "root_id": task_id, "parent_id": None, "group": None, "retries": 0,
                     "eta": None, "expires": None, "shadow": None, "argsrepr": "(...)",
                     "kwargsrepr": "{}", "origin": "test", "ignore_result": False})
    # The worker takes the next message only after this one: a run that completes shows
    # it was consumed (and refused), and the worker is still there.
    done = running_cluster.cli("trigger", "t_chain", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    log = wait_for(lambda: "ContentDisallowed" in _worker_log(running_cluster)
                   and _worker_log(running_cluster), 30, what="the refusal in the worker log")
    assert "pickle" in log
    assert not marker.exists(), "the worker unpickled a message"


def _worker_log(cluster) -> str:
    return "".join(p.output for p in cluster.procs if "worker" in p.log_path.name)
