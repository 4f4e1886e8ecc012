"""`db clean` on the embedded store: an old asset event goes only once every
asset-scheduled DAG has taken it into account; an old DAG version goes once it is neither
its DAG's latest nor a remaining run's."""
import datetime as dt

from sqlalchemy import insert, select

from cluster.store import Store, retention
from cluster.store.models import Asset, AssetDagCursor, AssetEvent, Dag, DagRun, DagVersion

OLD = dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)
BEFORE = dt.datetime(2010, 1, 1, tzinfo=dt.timezone.utc)


def events(store):
    with store.session() as s:
        return list(s.scalars(select(AssetEvent.id).order_by(AssetEvent.id)))


def test_old_asset_events_go_unless_a_dag_still_waits_for_them(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'cf.db'}")
    store.ensure_schema()
    with store.engine.begin() as conn:
        conn.execute(insert(Asset), [{"id": 1, "uri": "s3://a", "name": "a"}])
        conn.execute(insert(AssetEvent), [{"id": i, "asset_id": 1, "timestamp": OLD}
                                          for i in (1, 2, 3)]
                     + [{"id": 4, "asset_id": 1, "timestamp": dt.datetime.now(dt.timezone.utc)}])
        conn.execute(insert(Dag), [{"dag_id": d, "fileloc": "x.py"} for d in ("fast", "slow")])
        conn.execute(insert(AssetDagCursor), [{"dag_id": "fast", "last_event_id": 4},
                                              {"dag_id": "slow", "last_event_id": 2}])
    assert retention.clean(store, BEFORE, ["asset_event"], dry_run=True) == {"asset_event": 2}
    assert events(store) == [1, 2, 3, 4]
    # 3 is old but "slow" has not seen it yet; 4 is recent
    assert retention.clean(store, BEFORE, ["asset_event"], dry_run=False) == {"asset_event": 2}
    assert events(store) == [3, 4]
    store.dispose()


def versions(store):
    with store.session() as s:
        return list(s.scalars(select(DagVersion.id).order_by(DagVersion.id)))


def test_old_dag_versions_go_unless_latest_or_still_run(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'cf.db'}")
    store.ensure_schema()
    now = dt.datetime.now(dt.timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(insert(Dag), [{"dag_id": "d", "fileloc": "x.py", "latest_version_id": 4}])
        # 1: old, unused; 2: old, its run is old and finished; 3: old, a recent run uses it;
        # 4: old but the latest; 5: recent, unused
        conn.execute(insert(DagVersion), [
            {"id": i, "dag_id": "d", "digest": str(i), "data": {},
             "created_at": now if i == 5 else OLD} for i in (1, 2, 3, 4, 5)])
        conn.execute(insert(DagRun), [
            {"id": 1, "dag_id": "d", "run_id": "old", "dag_version_id": 2, "state": "success",
             "logical_date": OLD, "created_at": OLD, "start_date": OLD},
            {"id": 2, "dag_id": "d", "run_id": "new", "dag_version_id": 3, "state": "success",
             "logical_date": now, "created_at": now, "start_date": now}])
    # on its own, the old run still holds version 2
    assert retention.clean(store, BEFORE, ["dag_version"], dry_run=True) == {"dag_version": 1}
    # given in either order, runs go first and take version 2 with them
    assert retention.clean(store, BEFORE, ["dag_version", "dag_run"], dry_run=False) == {
        "dag_run": 1, "dag_version": 2}
    assert versions(store) == [3, 4, 5]
    store.dispose()
