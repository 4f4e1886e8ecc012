"""Runs on a real cluster: PostgreSQL store, Redis broker, `chordflow worker` + `scheduler`."""
import json


from cluster.control import services


def trigger_and_wait(cluster_env, dag_id, *extra):
    done = cluster_env.cli("trigger", dag_id, "--wait", *extra)
    handle = cluster_env.cluster()
    run = services.list_runs(handle, dag_id, limit=1)[0]
    run, tis = services.run_details(handle, run.id)
    handle.close()
    return done, run, {t.task_id: t for t in tis}


def test_chain_runs_in_order(running_cluster):
    done, run, tis = trigger_and_wait(running_cluster, "t_chain")
    assert done.returncode == 0, done.stdout + done.stderr
    assert run.state == "success"
    assert tis["a"].end_date <= tis["b"].start_date and tis["b"].end_date <= tis["c"].start_date
    assert all(t.try_number == 1 and t.state == "success" for t in tis.values())


def test_diamond_join_waits_for_both_branches(running_cluster):
    done, run, tis = trigger_and_wait(running_cluster, "t_diamond")
    assert done.returncode == 0 and run.state == "success"
    assert tis["top"].end_date <= min(tis["left"].start_date, tis["right"].start_date)
    assert tis["bottom"].start_date >= max(tis["left"].end_date, tis["right"].end_date)
    # the branches ran side by side: right started before left ended
    assert tis["right"].start_date < tis["left"].end_date


def test_non_series_parallel_dag_has_no_false_edge(running_cluster):
    done, run, tis = trigger_and_wait(running_cluster, "t_nonsp")
    assert done.returncode == 0 and run.state == "success"
    a, b, c, d = (tis[n] for n in "abcd")
    assert d.start_date >= b.end_date
    assert d.end_date < a.end_date, "d waited for a, which it does not depend on"
    assert c.start_date >= a.end_date and c.start_date >= b.end_date


def test_failure_marks_downstream_upstream_failed_and_run_failed(running_cluster):
    done, run, tis = trigger_and_wait(running_cluster, "t_failing")
    assert done.returncode == 1, done.stdout + done.stderr
    assert run.state == "failed"
    states = {k: v.state for k, v in tis.items()}
    assert states == {"ok": "success", "bad": "failed", "after": "upstream_failed",
                      "after2": "upstream_failed", "side": "success"}
    logs = running_cluster.cli("tasks", "logs", str(run.id), "bad")
    assert "about to fail" in logs.stdout and "ValueError: boom on purpose" in logs.stdout
    assert "echo never" not in running_cluster.cli("tasks", "logs", str(run.id), "after").stdout


def test_xcom_flows_between_taskflow_and_templates(running_cluster):
    done, run, tis = trigger_and_wait(running_cluster, "t_xcom", "--conf", json.dumps({"extra": 10}))
    assert done.returncode == 0, done.stdout + done.stderr
    logs = running_cluster.cli("tasks", "logs", str(run.id), "shout").stdout
    assert "total is 13 on " in logs  # 0+1+2 from produce, +10 from the run's conf
    assert "total=13" in running_cluster.cli("tasks", "logs", str(run.id), "consume").stdout


def test_airflow_dag_file_runs_unchanged(running_cluster):
    done, run, tis = trigger_and_wait(running_cluster, "t_airflow_style")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ADA" in running_cluster.cli("tasks", "logs", str(run.id), "echo").stdout


def test_two_concurrent_runs_of_one_dag(running_cluster):
    first = running_cluster.cli("trigger", "t_wide", "--run-id", "one")
    second = running_cluster.cli("trigger", "t_wide", "--run-id", "two")
    assert first.returncode == 0 and second.returncode == 0
    handle = running_cluster.cluster()
    runs = {r.run_id: r for r in services.list_runs(handle, "t_wide")}
    for name in ("one", "two"):
        final = services.wait(handle, runs[name].id, timeout=120)
        assert final.state == "success"
        _, tis = services.run_details(handle, final.id)
        assert len(tis) == 32 and all(t.state == "success" and t.try_number == 1 for t in tis)
    handle.close()


def test_import_errors_are_listed_and_other_dags_still_run(running_cluster):
    errors = running_cluster.cli("dags", "errors")
    assert errors.returncode == 0
    for name in ("broken_syntax.py", "broken_exception.py", "broken_cycle.py",
                 "broken_unsupported.py", "af_unsupported_timetable.py"):
        assert name in errors.stdout
    listed = running_cluster.cli("dags", "list")
    assert "t_chain" in listed.stdout and "5 file(s) failed to load" in listed.stderr


def test_runs_list_and_show(running_cluster):
    done, run, _ = trigger_and_wait(running_cluster, "t_chain")
    listed = running_cluster.cli("runs", "list", "--dag", "t_chain")
    assert str(run.id) in listed.stdout and "success" in listed.stdout
    shown = running_cluster.cli("runs", "show", str(run.id))
    assert shown.returncode == 0
    assert all(n in shown.stdout for n in ("a ", "b ", "c ", "duration"))
    by_name = running_cluster.cli("runs", "show", f"t_chain/{run.run_id}")
    assert by_name.returncode == 0 and f"run {run.id}" in by_name.stdout


def test_messages_carry_ids_only_and_flower_names(running_cluster, redis_server):
    """The message of a task: (run, task, try) args and a `dag_id.task_id` shadow name."""
    import redis as redis_lib

    from cluster.planning.canvas import task_signature

    handle = running_cluster.cluster()
    sig = task_signature(handle.app, 999, "t_xcom", "consume")
    assert sig.args == (999, "consume", 1) and sig.options["shadow"] == "t_xcom.consume"
    # Nothing of a run's conf ever reaches Redis.
    client = redis_lib.Redis.from_url(running_cluster.env["CHORDFLOW_BROKER_URL"])
    client.config_set("notify-keyspace-events", "")
    done = running_cluster.cli("trigger", "t_xcom", "--conf", json.dumps({"extra": "s3cr3tvalue"}))
    assert done.returncode == 0
    dump = b"".join(client.dump(k) or b"" for k in client.keys("*"))
    assert b"s3cr3tvalue" not in dump
    handle.close()


def test_python_client_triggers_waits_and_reads_logs(running_cluster):
    from cluster.client import Client
    from cluster.config import Settings

    with Client(Settings.from_env(running_cluster.env)) as client:
        run = client.trigger("t_xcom", conf={"extra": 1}, wait=True, timeout=120)
        assert run.succeeded and [t.task_id for t in run.tasks] == ["produce", "consume", "shout"]
        assert "total is 4" in client.logs(run, "shout")
        assert "t_xcom" in client.dags()
        assert any(f.endswith("broken_cycle.py") for f in client.import_errors())


def test_submit_script(running_cluster):
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "dagdefs/submit.py", "t_chain"], cwd=ROOT,
                          env={**running_cluster.env, "CHORDFLOW_DAGS_FOLDER": running_cluster.env["CHORDFLOW_DAGS_FOLDER"]},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "run " in done.stdout and ": success" in done.stdout


def test_templates_render_afresh_for_every_run(running_cluster):
    """A worker caches loaded DAG files; rendering must not leak one run's values into the next."""
    outputs = []
    for extra in (100, 200):
        done, run, _ = trigger_and_wait(running_cluster, "t_xcom", "--conf", json.dumps({"extra": extra}))
        assert done.returncode == 0
        outputs.append(running_cluster.cli("tasks", "logs", str(run.id), "shout").stdout)
    assert "total is 103" in outputs[0] and "total is 203" in outputs[1]
