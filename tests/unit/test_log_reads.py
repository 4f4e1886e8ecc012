"""A try's log is read from the store page by page, in the order it was written."""
from cluster.store import Store
from cluster.store import logs as log_store
from cluster.store.models import Dag, DagRun, DagVersion
from cluster.store.models import utcnow


def test_a_long_log_is_read_in_pages_in_write_order(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'cf.db'}")
    store.ensure_schema()
    with store.session() as s:
        for row in (Dag(dag_id="d", fileloc="d.py"), DagVersion(id=1, dag_id="d", digest="x", data={})):
            s.add(row)
            s.flush()
        s.add(DagRun(id=1, dag_id="d", run_id="r", dag_version_id=1, logical_date=utcnow()))
    for try_number in (2, 1):   # written out of try order: read back by try, then write order
        for i in range(25):
            log_store.append_log(store, 1, "t", try_number, f"{try_number}:{i};")
    chunks = log_store.read_log(store, 1, "t", page=7)
    assert next(chunks) == (1, "1:0;")                    # a generator: nothing read whole
    rest = list(chunks)
    assert [n for n, _ in rest] == [1] * 24 + [2] * 25
    assert "".join(t for _, t in rest) == "".join(f"1:{i};" for i in range(1, 25)) + \
        "".join(f"2:{i};" for i in range(25))
    assert list(log_store.read_log(store, 1, "t", try_number=2, page=5)) == \
        [(2, f"2:{i};") for i in range(25)]
    store.dispose()
