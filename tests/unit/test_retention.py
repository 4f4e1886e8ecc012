"""Asset events in `db clean` (the embedded store): an old event goes only once every
asset-scheduled DAG has taken it into account."""
import datetime as dt

from sqlalchemy import insert, select

from cluster.store import Store, retention
from cluster.store.models import Asset, AssetDagCursor, AssetEvent, Dag

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
