"""Recording a try never leaves it stuck running: output the database refuses is made
storable, an outcome the store refuses ends the try as failed with the reason in its log,
and a failing log flush does not stop the heartbeat."""
import datetime as dt

from sqlalchemy import select, update

from cluster.control import services
from cluster.config import Settings
from cluster.control.scheduler import sync_dags
from cluster.store import Store
from cluster.store import dags as dag_store
from cluster.store import runs as run_store
from cluster.store import tasks as ti_store
from cluster.store import xcoms as xcom_store
from cluster.store.models import TaskInstance
from workers.runtime import WorkerRuntime


def _run(cluster_env, dag_id):
    done = cluster_env.cli("trigger", dag_id)
    assert done.returncode == 0, done.stderr
    handle = cluster_env.cluster()
    try:
        run = services.list_runs(handle, dag_id, limit=1)[0]
        final = services.wait(handle, run.id, timeout=120)
        _, tis = services.run_details(handle, run.id)
        logs = {t.task_id: "".join(text for _, text in services.task_logs(handle, run.id,
                                                                         t.task_id))
                for t in tis}
        xcoms = xcom_store.run_xcoms(handle.store, run.id)
    finally:
        handle.close()
    return final, {t.task_id: t for t in tis}, logs, xcoms


def test_output_with_nul_bytes_is_stored_and_the_try_runs_once(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=1)
    final, tis, logs, xcoms = _run(cluster_env, "t_nul_output")
    assert final.state == "success", (tis["noisy"].state, logs)
    assert tis["noisy"].try_number == 1
    assert "before\\x00after" in logs["noisy"]
    assert [x[3] for x in xcoms if x[2] == "return_value"] == ["value\x00with nul"]
    starts = (cluster_env.tmp / "out" / "recording.txt").read_text().splitlines()
    assert [l.split()[:3] for l in starts] == [["start", "nul", "try=1"]]


def test_an_outcome_the_store_refuses_fails_the_try_with_the_reason(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=1)
    final, tis, logs, _ = _run(cluster_env, "t_unrecordable")
    ti = tis["wide_key"]
    assert final.state == "failed"
    assert (ti.state, ti.try_number) == ("failed", 1)
    assert "the try's outcome could not be recorded: " in logs["wide_key"], logs
    assert ti.error.startswith("outcome not recordable: "), ti.error
    assert "worker lost" not in logs["wide_key"]


class _RefusedLog:
    """A running try's log writer whose every flush the store refuses."""

    def __init__(self, run_pk, task_id, try_number):
        self.run_pk, self.task_id, self.try_number = run_pk, task_id, try_number
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        raise ValueError("A string literal cannot contain NUL (0x00) characters.")


def test_a_failing_log_flush_does_not_stop_the_heartbeat(cluster_env):
    # This test plays the scheduler and the worker itself: the module's processes would
    # start and run its run first.
    for proc in cluster_env.procs:
        proc.stop()
    settings = Settings.from_env(cluster_env.env)
    store = Store(settings.database_url)
    sync_dags(store, settings.dags_folder / "recording.py", settings.dags_folder, settings)
    run = run_store.create_run(store, "t_nul_output", run_id="heartbeat")
    data = dag_store.version_data(store, run.dag_version_id)
    assert run_store.start_run(store, run.id, data["tasks"]) is not None
    assert ti_store.claim(store, run.id, "noisy", 1, "here", 1) is not None
    old = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    where = (TaskInstance.run_pk == run.id, TaskInstance.task_id == "noisy")
    with store.engine.begin() as conn:
        conn.execute(update(TaskInstance).where(*where).values(heartbeat_at=old))
    rt = WorkerRuntime(settings, store)
    writer = _RefusedLog(run.id, "noisy", 1)
    rt.running[(run.id, "noisy", -1, 1)] = writer
    rt.beat_once(interval=0.0)
    with store.engine.connect() as conn:
        beat = conn.execute(select(TaskInstance.heartbeat_at).where(*where)).scalar_one()
    store.engine.dispose()
    assert writer.flushes == 1
    assert ti_store.as_utc(beat) > old


def test_the_scheduler_closes_the_runs_whose_tasks_are_all_final_and_no_other(cluster_env):
    """The repair pass asks once which running runs still have a task to finish, and closes
    the others: a run whose only task succeeded is closed, one whose task is still queued
    stays running."""
    from cluster.control.scheduler import Scheduler
    from cluster.store.models import DagRun

    for proc in cluster_env.procs:
        proc.stop()
    handle = cluster_env.cluster()
    store = handle.store
    try:
        sync_dags(store, handle.settings.dags_folder / "recording.py",
                  handle.settings.dags_folder, handle.settings)
        runs = [run_store.create_run(store, "t_nul_output", run_id=f"closing-{n}")
                for n in ("done", "open")]
        for run in runs:
            data = dag_store.version_data(store, run.dag_version_id)
            assert run_store.start_run(store, run.id, data["tasks"]) is not None
        done, still = runs
        with store.engine.begin() as conn:
            conn.execute(update(TaskInstance).where(TaskInstance.run_pk == done.id)
                         .values(state="success", end_date=dt.datetime.now(dt.timezone.utc)))
        assert run_store.with_unfinished_tasks(store, [done.id, still.id]) == {still.id}
        Scheduler(handle.settings, store, handle.app).repair()
        with store.engine.connect() as conn:
            states = dict(conn.execute(select(DagRun.id, DagRun.state).where(
                DagRun.id.in_([done.id, still.id]))).all())
    finally:
        handle.close()
    assert states == {done.id: "success", still.id: "running"}
