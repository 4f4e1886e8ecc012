"""Parsers record at once without losing: the DAG processor, a trigger parsing for an
unknown DAG and a second scheduler may all record the same new DAGs in PostgreSQL."""
import threading
import uuid

from cluster.store import Store
from cluster.store import dags as dag_store


def test_parsers_recording_the_same_new_dags_at_once_all_succeed(postgres_server):
    name = "cf_parse_" + uuid.uuid4().hex[:8]
    store = Store(postgres_server.create_database(name))
    try:
        store.upgrade()
        serialized = [{"dag_id": f"d{i}", "fileloc": f"/dags/d{i}.py", "tasks": []}
                      for i in range(200)]
        digests = {d["dag_id"]: "digest-" + d["dag_id"] for d in serialized}
        errors = {"/dags/broken.py": "SyntaxError: invalid syntax"}
        files = [d["fileloc"] for d in serialized] + ["/dags/broken.py"]
        start = threading.Barrier(4)
        outcomes: list[object] = []

        def parser():
            start.wait()
            try:
                outcomes.append(dag_store.sync_dags(store, serialized, digests, errors, files))
            except Exception as exc:  # what the race used to raise: a unique violation
                outcomes.append(exc)

        threads = [threading.Thread(target=parser) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        failed = [o for o in outcomes if isinstance(o, Exception)]
        assert not failed and len(outcomes) == 4, failed[:1]
        assert len({tuple(sorted(o.items())) for o in outcomes}) == 1  # one version per DAG
        assert len(dag_store.list_dags(store)) == 200
    finally:
        store.dispose()
        postgres_server.drop_database(name)
