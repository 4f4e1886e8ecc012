"""A chord whose members outlive the expiry of its counters still fires (not through the
queued-timeout resend, which is set too long here to help)."""
from cluster.control import services


def test_a_fan_out_outliving_a_short_chord_expiry_continues(cluster_env):
    short = {"CHORDFLOW_CHORD_EXPIRES": "2", "CHORDFLOW_QUEUED_TIMEOUT": "600"}
    scheduler = cluster_env.scheduler(**short)
    cluster_env.worker(concurrency=3, **short)
    done = cluster_env.cli("trigger", "t_long_fanout", **short)
    assert done.returncode == 0, done.stderr
    handle = cluster_env.cluster()
    run = services.list_runs(handle, "t_long_fanout", limit=1)[0]
    final = services.wait(handle, run.id, timeout=90)
    _, tis = services.run_details(handle, run.id)
    handle.close()
    states = {t.task_id: (t.state, t.try_number) for t in tis}
    assert final.state == "success", states
    assert set(states.values()) == {("success", 1)}, states
    assert "sending it again" not in scheduler.output
