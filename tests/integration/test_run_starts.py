"""Starting queued runs is fair and cheap: one DAG's long queue does not starve others."""
from sqlalchemy import event

from cluster.control import services
from cluster.config import Settings
from cluster.control.scheduler import Scheduler, sync_dags
from cluster.control.services import Cluster
from cluster.store import runs as run_store


def test_one_dags_queued_runs_do_not_starve_another_dag(cluster_env):
    """600 queued runs of a DAG with max_active_runs=1 (one running) do not keep another
    DAG's run from starting, and a scheduler step does not try each of them under lock."""
    handle = Cluster.open(Settings.from_env(cluster_env.env))
    store = handle.store
    sync_dags(store, cluster_env.env["CHORDFLOW_DAGS_FOLDER"])
    for dag_id in ("t_one_at_a_time", "t_chain"):
        services.set_paused(handle, dag_id, False)
    held = [run_store.create_run(store, "t_one_at_a_time", run_id=f"h{i:03}").id
            for i in range(600)]
    scheduler = Scheduler(handle.settings, store, handle.app)
    assert scheduler.start_queued_runs() == 1           # the first backfill run only
    other = run_store.create_run(store, "t_chain", run_id="other").id
    locks = []

    def count_locks(conn, cursor, sql, *args):
        if "FOR UPDATE" in sql:
            locks.append(sql)

    event.listen(store.engine, "before_cursor_execute", count_locks)
    started = scheduler.start_queued_runs()
    event.remove(store.engine, "before_cursor_execute", count_locks)
    states = {r.id: r.state for r in services.list_runs(handle, limit=1000)}
    handle.close()
    assert started == 1 and states[other] == "running"
    assert states[held[0]] == "running" and states[held[1]] == "queued"
    assert len(locks) <= 2, len(locks)
