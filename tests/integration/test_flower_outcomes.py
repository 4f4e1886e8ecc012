"""Flower tells the truth: a failed try is FAILURE with its error, a retry is RETRY, a
skipped task is REVOKED, upstream_failed is FAILURE saying so, and the canvas still
proceeds past each of them (the runs end, the all_done task runs)."""
from __future__ import annotations

from tests.integration.test_flower import flower  # noqa: F401  (fixture)
from tests.servers import http_json, wait_for

AUTH = "admin:flower-pass-1"


def tasks_by_name(url: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for task in http_json(url + "/api/tasks?limit=5000", AUTH).values():
        found.setdefault(task.get("name"), task)
        if (task.get("timestamp") or 0) > (found[task.get("name")].get("timestamp") or 0):
            found[task.get("name")] = task
    return found


def test_failures_retries_and_skips_show_as_such_and_the_canvas_proceeds(flower, running_cluster):
    def triggered_and_seen():  # Flower only sees events sent after it subscribed
        assert running_cluster.cli("trigger", "t_failing", "--wait").returncode != 0
        return "t_failing.bad" in tasks_by_name(flower)

    wait_for(triggered_and_seen, 90, interval=0.5, what="Flower to see t_failing")
    done = running_cluster.cli("trigger", "w_skip", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert running_cluster.cli("trigger", "w_slow_retry").returncode == 0

    last: dict = {}

    def shown():
        seen = tasks_by_name(flower)
        last.clear()
        last.update({n: (t["state"], t.get("exception")) for n, t in seen.items()})
        wanted = ("t_failing.bad", "t_failing.after", "t_failing.side", "t_failing.ok",
                  "w_skip.check", "w_skip.follow", "w_skip.final", "w_slow_retry.bad")
        if not all(n in seen for n in wanted):
            return None
        states = {n: seen[n]["state"] for n in wanted}
        return seen if states["w_slow_retry.bad"] == "RETRY" and states["w_skip.final"] == \
            "SUCCESS" and states["t_failing.after"] == "FAILURE" else None

    try:
        seen = wait_for(shown, 60, interval=0.5, what="Flower to show every outcome")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; Flower shows {last}") from None
    assert seen["t_failing.ok"]["state"] == "SUCCESS"
    assert seen["t_failing.side"]["state"] == "SUCCESS"
    assert seen["t_failing.bad"]["state"] == "FAILURE"
    assert "boom on purpose" in seen["t_failing.bad"]["exception"]
    assert "upstream_failed" in seen["t_failing.after"]["traceback"]
    assert "UpstreamFailed" in seen["t_failing.after"]["exception"]
    assert seen["w_skip.check"]["state"] == "REVOKED"
    assert seen["w_skip.follow"]["state"] == "REVOKED"
    failed = http_json(flower + "/api/tasks?state=FAILURE&limit=5000", AUTH)
    assert {"t_failing.bad", "t_failing.after"} <= {t["name"] for t in failed.values()}
