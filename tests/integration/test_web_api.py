"""The REST API (/api/v2) of a real `chordflow webserver` over real PostgreSQL, Redis, a
scheduler and a worker: Airflow's resource names and shapes, authentication, live logs."""
from __future__ import annotations

import subprocess
import sys
import urllib.parse
import urllib.request

from tests.conftest import ROOT
from tests.integration.web_server import PASSWORD, USER, Http, login, webserver  # noqa: F401
from tests.servers import wait_for

q = urllib.parse.quote


def run_state(api: Http, dag_id: str, run_id: str) -> str:
    return api.get(f"/api/v2/dags/{dag_id}/dagRuns/{q(run_id, safe='')}")["state"]


def ti(api: Http, dag_id: str, run_id: str, task_id: str) -> dict:
    """The task instance; empty before the scheduler has started the run."""
    status, body = api.call(
        "GET", f"/api/v2/dags/{dag_id}/dagRuns/{q(run_id, safe='')}/taskInstances/{task_id}")
    assert status in (200, 404), body
    return body if status == 200 else {}


def test_nothing_is_served_without_credentials_but_health(webserver):
    anonymous = Http(webserver)
    for path in ("/api/v2/dags", "/api/v2/dags/w_params", "/api/v2/dags/~/dagRuns",
                 "/api/v2/variables", "/api/v2/connections", "/api/v2/pools",
                 "/api/v2/importErrors", "/api/v2/version", "/metrics", "/ui/grid/w_params",
                 "/ui/events"):
        assert anonymous.call("GET", path)[0] == 401, path
    assert anonymous.call("POST", "/api/v2/dags/w_params/dagRuns", {"conf": {}})[0] == 401
    assert Http(webserver, "not.a.token").call("GET", "/api/v2/dags")[0] == 401
    forged = login(webserver).token[:-3] + "abc"
    assert Http(webserver, forged).call("GET", "/api/v2/dags")[0] == 401
    status, body = anonymous.call("POST", "/auth/token", {"username": USER, "password": "wrong"})
    assert status == 401 and "access_token" not in (body or {})
    import base64

    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert anonymous.call("GET", "/api/v2/version", headers={"Authorization": basic})[0] == 200
    health = anonymous.get("/api/v2/monitor/health")
    assert health["metadatabase"]["status"] == "healthy"


def test_the_server_refuses_to_start_without_users(running_cluster):
    env = {k: v for k, v in running_cluster.env.items() if not k.startswith("CHORDFLOW_WEBSERVER")}
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "webserver"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "CHORDFLOW_WEBSERVER_ADMIN_USER" in done.stderr and len(done.stderr.splitlines()) == 1
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "webserver"], cwd=ROOT,
                          env={**env, "CHORDFLOW_WEBSERVER_USERS": "bob:plaintext"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "hash-password" in done.stderr


def test_dags_list_filters_pages_and_pauses(webserver):
    api = login(webserver)
    page = api.get("/api/v2/dags?tags=web&limit=100")
    assert {d["dag_id"] for d in page["dags"]} == {"w_params", "w_retry"}
    assert page["total_entries"] == 2
    assert page["dags"][0]["tags"] == [{"name": "web", "dag_id": page["dags"][0]["dag_id"]}]
    everything = api.get("/api/v2/dags?limit=1000")
    one = api.get("/api/v2/dags?limit=1&offset=1")
    assert one["total_entries"] == everything["total_entries"] > 2
    assert [d["dag_id"] for d in one["dags"]] == [everything["dags"][1]["dag_id"]]
    assert [d["dag_id"] for d in api.get("/api/v2/dags?dag_id_pattern=w_ski")["dags"]] == ["w_skip"]
    status, body = api.call("PATCH", "/api/v2/dags/w_retry", {"is_paused": True})
    assert status == 200 and body["is_paused"] is True
    assert "w_retry" in [d["dag_id"] for d in api.get("/api/v2/dags?paused=true&tags=web")["dags"]]
    assert api.call("PATCH", "/api/v2/dags/w_retry", {"is_paused": False})[1]["is_paused"] is False
    assert api.call("PATCH", "/api/v2/dags/w_retry", {"is_paused": "maybe"})[0] == 422
    assert api.call("PATCH", "/api/v2/dags/w_retry?update_mask=description",
                    {"is_paused": False})[0] == 400
    assert api.call("GET", "/api/v2/dags/no_such_dag")[0] == 404
    details = api.get("/api/v2/dags/w_params/details")
    assert details["params"]["count"]["schema"]["maximum"] == 5
    assert details["params"]["greeting"]["value"] == "hello"


def test_trigger_with_conf_follow_a_running_log_and_read_xcom(webserver, running_cluster):
    api = login(webserver)
    status, run = api.call("POST", "/api/v2/dags/w_params/dagRuns",
                           {"conf": {"count": 3, "greeting": "hi", "hold": 90},
                            "dag_run_id": "web_follow", "logical_date": "2024-03-01T00:00:00Z"})
    assert status == 200, run
    assert run["dag_run_id"] == "web_follow" and run["conf"]["count"] == 3
    assert run["logical_date"].startswith("2024-03-01T00:00:00")
    base = "/api/v2/dags/w_params/dagRuns/web_follow/taskInstances"
    wait_for(lambda: ti(api, "w_params", "web_follow", "hold").get("state") == "running", 60,
             what="hold to run")

    def first_half():
        page = api.get(base + "/hold/logs/1")
        return "first half" in "\n".join(page["content"]) and page

    page = wait_for(first_half, 30, what="the running try's first log lines")
    assert "second half" not in "\n".join(page["content"])
    (running_cluster.tmp / "out" / "release-web_follow").write_text("go")
    wait_for(lambda: run_state(api, "w_params", "web_follow") == "success", 60,
             what="the run to succeed")
    rest = api.get(base + "/hold/logs/1?token=" + q(page["continuation_token"]))
    assert "second half" in "\n".join(rest["content"])
    assert "first half" not in "\n".join(rest["content"])
    whole = api.get(base + "/hold/logs/1?full_content=true")
    assert "first half" in "\n".join(whole["content"]) and "second half" in "\n".join(whole["content"])
    status, text = api.call("GET", base + "/say/logs/1", headers={"Accept": "text/plain"}, raw=True)
    assert status == 200 and "greeting: hi hi hi" in text
    assert api.call("GET", base + "/say/logs/7")[0] == 400
    assert api.call("GET", base + "/say/logs/1?token=garbage")[0] == 400

    entries = api.get(base + "/say/xcomEntries")
    assert [e["key"] for e in entries["xcom_entries"]] == ["return_value"]
    assert api.get(base + "/say/xcomEntries/return_value")["value"] == {"said": 3}
    tis = api.get(base)
    assert tis["total_entries"] == 3
    assert {t["task_id"]: t["state"] for t in tis["task_instances"]} == \
        {"say": "success", "hold": "success", "done": "success"}
    assert all(t["dag_run_id"] == "web_follow" and t["try_number"] == 1
               for t in tis["task_instances"])
    listed = api.get("/api/v2/dags/w_params/dagRuns?state=success")
    assert "web_follow" in [r["dag_run_id"] for r in listed["dag_runs"]]


def test_a_conf_that_breaks_the_params_and_a_malformed_body_are_refused(webserver):
    api = login(webserver)
    status, body = api.call("POST", "/api/v2/dags/w_params/dagRuns", {"conf": {"count": 9}})
    assert status == 400 and "count" in body["detail"]
    status, body = api.call("POST", "/api/v2/dags/w_params/dagRuns",
                            {"conf": {}, "execution_date": "2024-01-01"})
    assert status == 422 and "execution_date" in str(body)
    assert api.call("POST", "/api/v2/dags/w_params/dagRuns", {"conf": [1]})[0] == 422
    assert api.call("POST", "/api/v2/dags/w_params/dagRuns",
                    {"logical_date": "2024-01-01T00:00:00"})[0] == 400
    assert api.call("POST", "/api/v2/dags/nope/dagRuns", {})[0] == 404
    status, _ = api.call("POST", "/api/v2/dags/w_params/dagRuns", {"dag_run_id": "twice",
                                                                  "conf": {"hold": 0}})
    assert status == 200
    status, body = api.call("POST", "/api/v2/dags/w_params/dagRuns", {"dag_run_id": "twice"})
    assert status == 400 and "twice" in body["detail"]


def test_retries_then_clear_then_mark_success_downstream(webserver):
    api = login(webserver)
    run = api.call("POST", "/api/v2/dags/w_retry/dagRuns", {"dag_run_id": "web_retry"})[1]
    wait_for(lambda: run_state(api, "w_retry", "web_retry") == "failed", 90, what="w_retry to fail")
    bad = ti(api, "w_retry", "web_retry", "bad")
    assert bad["state"] == "failed" and bad["try_number"] == 2 and "flaky" in bad["error"]
    assert ti(api, "w_retry", "web_retry", "never")["state"] == "upstream_failed"
    base = "/api/v2/dags/w_retry/dagRuns/web_retry/taskInstances/bad/logs/"
    for n in (1, 2):
        assert "flaky failed on purpose" in "\n".join(api.get(base + str(n))["content"])

    body = {"dag_run_id": run["dag_run_id"], "task_ids": ["bad"], "include_downstream": True,
            "only_failed": False}
    status, dry = api.call("POST", "/api/v2/dags/w_retry/clearTaskInstances", body)
    assert status == 200 and {t["task_id"] for t in dry["task_instances"]} == {"bad", "never"}
    assert ti(api, "w_retry", "web_retry", "bad")["try_number"] == 2  # a dry run changes nothing
    status, _ = api.call("POST", "/api/v2/dags/w_retry/clearTaskInstances",
                         {**body, "dry_run": False})
    assert status == 200
    wait_for(lambda: ti(api, "w_retry", "web_retry", "bad")["try_number"] == 4
             and run_state(api, "w_retry", "web_retry") == "failed", 90,
             what="the cleared task to run its tries again")
    assert ti(api, "w_retry", "web_retry", "first")["try_number"] == 1

    status, marked = api.call("PATCH", "/api/v2/dags/w_retry/dagRuns/web_retry/taskInstances/bad",
                              {"new_state": "success", "include_downstream": True})
    assert status == 200, marked
    assert {t["task_id"]: t["state"] for t in marked["task_instances"]} == \
        {"bad": "success", "never": "success"}
    assert run_state(api, "w_retry", "web_retry") == "success"
    assert api.call("PATCH", "/api/v2/dags/w_retry/dagRuns/web_retry/taskInstances/bad",
                    {"new_state": "running"})[0] == 422
    assert api.call("POST", "/api/v2/dags/w_retry/clearTaskInstances",
                    {**body, "include_past": True})[0] == 400


def test_cancel_a_running_run_by_patching_its_state(webserver):
    api = login(webserver)
    api.call("POST", "/api/v2/dags/w_params/dagRuns", {"dag_run_id": "web_cancel",
                                                      "conf": {"hold": 120}})
    wait_for(lambda: ti(api, "w_params", "web_cancel", "hold").get("state") == "running", 60,
             what="hold to run")
    status, run = api.call("PATCH", "/api/v2/dags/w_params/dagRuns/web_cancel", {"state": "failed"})
    assert status == 200 and run["state"] == "failed"
    assert ti(api, "w_params", "web_cancel", "done")["state"] == "skipped"
    assert api.call("PATCH", "/api/v2/dags/w_params/dagRuns/web_cancel",
                    {"state": "queued"})[0] == 400


def test_variables_and_connections_never_show_passwords(webserver, running_cluster):
    api = login(webserver)
    for args in (("variables", "set", "web_plain", "visible-value"),
                 ("variables", "set", "web_api_key", "hidden-variable-value"),
                 ("connections", "add", "web_db", "--conn-uri",
                  "postgresql://bob:s3cret-conn-pass@db.example:5432/sales"),
                 ("pools", "set", "web_pool", "3", "--description", "for the web tests")):
        done = running_cluster.cli(*args)
        assert done.returncode == 0, done.stderr
    variables = {v["key"]: v for v in api.get("/api/v2/variables")["variables"]}
    assert variables["web_plain"]["value"] == "visible-value"
    assert variables["web_api_key"]["value"] == "***"
    conn = api.get("/api/v2/connections/web_db")
    assert conn["password"] == "***" and conn["login"] == "bob" and conn["schema"] == "sales"
    assert conn["host"] == "db.example" and conn["port"] == 5432
    for path in ("/api/v2/connections", "/api/v2/connections/web_db", "/api/v2/variables"):
        text = api.call("GET", path, raw=True)[1]
        assert "s3cret-conn-pass" not in text and "hidden-variable-value" not in text
    pool = api.get("/api/v2/pools/web_pool")
    assert pool["slots"] == 3 and pool["open_slots"] == 3 and pool["description"] == "for the web tests"
    assert api.call("GET", "/api/v2/pools/nope")[0] == 404
    assert api.call("POST", "/api/v2/pools", {"name": "p2", "slots": 1,
                                              "include_deferred": True})[0] == 400


def test_metrics_count_states_durations_and_queues(webserver):
    api = login(webserver)
    api.call("POST", "/api/v2/dags/w_params/dagRuns", {"dag_run_id": "web_metrics",
                                                      "conf": {"hold": 0}})
    wait_for(lambda: run_state(api, "w_params", "web_metrics") == "success", 60, what="the run")
    status, text = api.call("GET", "/metrics", raw=True)
    assert status == 200
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    assert values['chordflow_task_instances{state="success"}'] >= 3
    assert values['chordflow_dag_runs{state="success"}'] >= 1
    assert values["chordflow_task_duration_seconds_count"] >= 3
    assert values["chordflow_dag_run_duration_seconds_count"] >= 1
    assert 'chordflow_queue_depth{queue="celery"}' in values


def test_grid_and_openapi(webserver):
    api = login(webserver)
    grid = api.get("/ui/grid/w_params")
    assert [t["task_id"] for t in grid["tasks"]] == ["say", "hold", "done"]
    assert len(grid["cells"]) == 3 and all(len(c) == len(grid["runs"]) for c in grid["cells"])
    follow = [r["dag_run_id"] for r in grid["runs"]].index("web_metrics")
    assert [grid["states"][c[follow]] for c in grid["cells"]] == ["success"] * 3
    doc = Http(webserver).get("/openapi.json")
    for path in ("/api/v2/dags", "/api/v2/dags/{dag_id}/dagRuns",
                 "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}",
                 "/api/v2/importErrors", "/api/v2/variables", "/api/v2/connections",
                 "/api/v2/pools", "/api/v2/monitor/health", "/api/v2/version"):
        assert path in doc["paths"], path


def test_the_event_stream_answers_a_known_run_and_refuses_an_unknown_one(webserver):
    api = login(webserver)
    status, body = api.call("GET", "/ui/events?dag_id=w_params&dag_run_id=no-such-run")
    assert status == 404, body
    request = urllib.request.Request(webserver + "/ui/events?dag_id=w_params",
                                     headers={"Authorization": "Bearer " + api.token})
    with urllib.request.urlopen(request, timeout=30) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = [stream.readline().decode() for _ in range(4)]
    assert first[0] == "retry: 1000\n" and "event: change\n" in first, first
