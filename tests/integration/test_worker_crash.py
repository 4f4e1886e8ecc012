"""A worker SIGKILLed while its task runs loses nothing: the try is run again elsewhere."""
import signal

from cluster import services
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
