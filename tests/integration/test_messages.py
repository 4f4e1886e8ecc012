"""Every message a run sends through Redis, decoded, carries ids only: no conf value.

The broker is a Redis of this module's own, watched with MONITOR for the whole run; each
payload written (queued messages, chord parts, events) is decoded (JSON, base64 bodies)
and searched. A message with a conf value planted on purpose proves the search finds one.
"""
import base64
import json
import subprocess
import sys
import threading
import uuid

import pytest
import redis as redis_lib

from cluster.control import services
from cluster.planning.canvas import RUN_TASK
from tests.conftest import ROOT, ClusterUnderTest, base_env
from tests.servers import RedisServer

SECRET = "s3cr3t-" + uuid.uuid4().hex[:8]
_WRITES = {"LPUSH", "RPUSH", "PUBLISH", "HSET", "SET", "SETEX", "ZADD", "SADD"}


@pytest.fixture(scope="module")
def watched(postgres_server, tmp_path_factory):
    server = RedisServer(own=True)
    name = "cf_msgs_" + uuid.uuid4().hex[:8]
    url = postgres_server.create_database(name)
    tmp = tmp_path_factory.mktemp("messages")
    env = base_env(tmp, url, f"{server.url}/0")
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "db", "upgrade"], env=env,
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cluster = ClusterUnderTest(env, tmp)
    yield cluster, server
    cluster.stop()
    server.stop()
    postgres_server.drop_database(name)


def decoded_payloads(args):
    """The texts one Redis write carries: its arguments as written, and in a JSON message
    among them its headers and its base64 body decoded."""
    yield args
    start = min((i for i in (args.find("{"), args.find("[")) if i >= 0), default=-1)
    if start < 0:
        return
    try:
        message, _ = json.JSONDecoder().raw_decode(args[start:])
    except ValueError:
        return
    for item in (message if isinstance(message, list) else [message]):
        if not isinstance(item, dict):
            continue
        yield json.dumps(item.get("headers") or {})
        body = item.get("body")
        if isinstance(body, str):
            try:
                yield base64.b64decode(body).decode("utf-8", "replace")
            except ValueError:
                yield body


class Recorder:
    """MONITOR on the module's Redis: every write command and its arguments."""

    def __init__(self, url):
        self.client = redis_lib.Redis.from_url(url)
        self.writes = []
        self._sentinel = "recorder-stop-" + uuid.uuid4().hex
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _listen(self):
        with self.client.monitor() as monitor:
            self._ready.set()
            for command in monitor.listen():
                if self._sentinel in command["command"]:
                    return
                parts = command["command"].split(" ", 1)
                if parts[0].upper() in _WRITES and len(parts) > 1:
                    self.writes.append((parts[0].upper(), parts[1]))

    def stop(self):
        """MONITOR reports commands in the order Redis ran them: every write sent before
        this sentinel is recorded before the listener sees it and returns."""
        self.client.echo(self._sentinel)
        self._thread.join(10)
        assert not self._thread.is_alive(), "the MONITOR listener never saw its sentinel"

    def holding(self, value):
        return [(cmd, args[:120]) for cmd, args in self.writes
                if any(value in text for text in decoded_payloads(args))]


def test_no_conf_value_travels_in_any_message(watched):
    cluster, server = watched
    cluster.scheduler()
    cluster.worker(concurrency=2)
    recorder = Recorder(server.url)
    done = cluster.cli("trigger", "t_xcom", "--conf", json.dumps({"extra": 1, "note": SECRET}))
    assert done.returncode == 0, done.stderr
    handle = cluster.cluster()
    run = services.list_runs(handle, "t_xcom", limit=1)[0]
    assert services.wait(handle, run.id, timeout=120).state == "success"
    # The search can fail: a message carrying the conf value in its (base64) body only is
    # found, where the raw bytes do not show it.
    handle.app.send_task(RUN_TASK, args=(0, "planted", 1), kwargs={"conf": SECRET},
                         kwargsrepr="{}", queue="nobody-listens")
    handle.close()
    recorder.stop()
    queued = [a for c, a in recorder.writes if c == "LPUSH"]
    assert len(queued) >= 3, sorted({c for c, _ in recorder.writes})        # the run's messages were seen
    found = recorder.holding(SECRET)
    assert len(found) == 1 and "nobody-listens" in found[0][1], found
    assert not any(SECRET in args for _, args in recorder.writes)
