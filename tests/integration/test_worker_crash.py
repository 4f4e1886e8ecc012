"""A worker SIGKILLed while its task runs loses nothing: the try is run again elsewhere."""
import signal

from cluster.control import services
from tests.servers import wait_for


def test_sigkilled_worker_loses_no_task(cluster_env):
    cluster_env.scheduler()
    victim = cluster_env.worker(concurrency=1, name="victim")
    out = cluster_env.tmp / "out" / "slow.txt"
    done = cluster_env.cli("trigger", "t_slow")
    assert done.returncode == 0, done.stderr
    handle = cluster_env.cluster()
    run = services.list_runs(handle, "t_slow", limit=1)[0]

    wait_for(lambda: out.exists() and "start try=1" in out.read_text(), 60,
             what="the long task to start on the victim")
    victim.kill(signal.SIGKILL)  # the whole worker: main process and its pool
    cluster_env.worker(concurrency=1, name="rescuer")

    final = services.wait(handle, run.id, timeout=120)
    _, tis = services.run_details(handle, run.id)
    states = {t.task_id: (t.state, t.try_number) for t in tis}
    handle.close()
    assert final.state == "success", states
    assert states["long"] == ("success", 2)          # the killed try, then the rerun
    assert states["last"] == ("success", 1)          # the chain's tail was not lost
    lines = out.read_text().splitlines()
    assert [l.split()[0:2] for l in lines] == [["start", "try=1"], ["start", "try=2"],
                                               ["done", "try=2"]]


def test_sigterm_lets_the_running_task_finish(cluster_env):
    """A deploy or scale-down sends SIGTERM: Celery's warm shutdown finishes the try first."""
    cluster_env.scheduler()
    leaving = cluster_env.worker(concurrency=1, name="leaving")
    out = cluster_env.tmp / "out" / "slow.txt"
    out.unlink(missing_ok=True)
    assert cluster_env.cli("trigger", "t_slow", "--run-id", "sigterm").returncode == 0
    handle = cluster_env.cluster()
    run = [r for r in services.list_runs(handle, "t_slow") if r.run_id == "sigterm"][0]
    wait_for(lambda: out.exists() and "start try=1" in out.read_text(), 60,
             what="the long task to start")
    leaving.proc.send_signal(signal.SIGTERM)       # the main process only, as Kubernetes does
    leaving.proc.wait(60)
    cluster_env.worker(concurrency=1, name="arriving")
    final = services.wait(handle, run.id, timeout=120)
    _, tis = services.run_details(handle, run.id)
    handle.close()
    states = {t.task_id: (t.state, t.try_number) for t in tis}
    assert final.state == "success" and states["long"] == ("success", 1), states
    assert [l.split()[0:2] for l in out.read_text().splitlines()] == [
        ["start", "try=1"], ["done", "try=1"]]


def test_second_delivery_of_a_running_task_does_nothing(cluster_env):
    """Redis hands an unacked message to another worker once the visibility timeout passes,
    while the first worker still runs it. Deliver the same message again mid-run: the
    store's claim makes the second delivery a no-op and the task runs once."""
    from cluster.planning.canvas import task_signature

    cluster_env.scheduler()
    cluster_env.worker(concurrency=1, name="first")
    cluster_env.worker(concurrency=1, name="second")
    out = cluster_env.tmp / "out" / "slow.txt"
    out.unlink(missing_ok=True)
    assert cluster_env.cli("trigger", "t_slow", "--run-id", "twice").returncode == 0
    handle = cluster_env.cluster()
    run = [r for r in services.list_runs(handle, "t_slow") if r.run_id == "twice"][0]
    wait_for(lambda: out.exists() and "start try=1" in out.read_text(), 60,
             what="the long task to start")
    task_signature(handle.app, run.id, "t_slow", "long", 1).apply_async()
    final = services.wait(handle, run.id, timeout=120)
    _, tis = services.run_details(handle, run.id)
    handle.close()
    assert final.state == "success"
    assert {t.task_id: t.try_number for t in tis} == {"first": 1, "long": 1, "last": 1}
    assert [l.split()[0:2] for l in out.read_text().splitlines()] == [
        ["start", "try=1"], ["done", "try=1"]]
    logs = "".join(p.output for p in cluster_env.procs if "worker" in p.log_path.name)
    assert "'noop:running'" in logs


def test_a_task_killed_by_a_signal_uses_up_its_retries(cluster_env):
    """SIGKILL of the try's process (what an out-of-memory kill looks like): each killed
    try is a failed try, named so, so retries=1 means two tries, then the task fails and
    the run goes on by its trigger rules (all_done runs, all_success is upstream_failed)."""
    cluster_env.scheduler()
    cluster_env.worker(concurrency=1, name="oom")
    out = cluster_env.tmp / "out" / "lost_tries.txt"
    done = cluster_env.cli("trigger", "t_lost_tries")
    assert done.returncode == 0, done.stderr
    handle = cluster_env.cluster()
    run = services.list_runs(handle, "t_lost_tries", limit=1)[0]
    final = services.wait(handle, run.id, timeout=120)
    _, tis = services.run_details(handle, run.id)
    states = {t.task_id: (t.state, t.try_number) for t in tis}
    log_text = "".join(text for _, text in services.task_logs(handle, run.id, "doomed"))
    handle.close()
    assert final.state == "failed", states
    assert states["doomed"] == ("failed", 2), states
    assert states["cleanup"] == ("success", 1), states
    assert states["strict"][0] == "upstream_failed", states
    assert [l.split()[:2] for l in out.read_text().splitlines()] == [
        ["start", "try=1"], ["start", "try=2"]]
    assert "up for retry in 1s (try 2 of 2)" in log_text, log_text
    assert log_text.count("failed: AirflowException: the task's process was killed by SIGKILL"
                          ) == 2, log_text
