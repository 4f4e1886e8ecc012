"""`dags list`, `dags errors` and `Client.dags()` only read: what the DAG processor
recorded, or a local parse that records nothing; `dags reserialize` records (embedded
mode, its SQLite store, is what is tested here)."""
import sqlite3
import textwrap

from cluster.client import Client
from cluster.config import Settings
from tests.integration.test_embedded import run_cli

DAG_FILE = textwrap.dedent("""
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator
    import datetime as dt
    with DAG("{dag_id}", start_date=dt.datetime(2024, 1, 1), schedule=None):
        EmptyOperator(task_id="t")
""")


def recorded(tmp_path):
    with sqlite3.connect(tmp_path / "state" / "chordflow.db") as db:
        dags = sorted(r[0] for r in db.execute("SELECT dag_id FROM dag"))
        versions = db.execute("SELECT COUNT(*) FROM dag_version").fetchone()[0]
        errors = db.execute("SELECT COUNT(*) FROM import_error").fetchone()[0]
    return dags, versions, errors


def test_listing_reads_and_only_reserialize_records(tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "one.py").write_text(DAG_FILE.format(dag_id="ro_one"))
    (folder / "broken.py").write_text("from airflow import DAG\nraise RuntimeError('dag: no')\n")
    env = {"CHORDFLOW_DAGS_FOLDER": str(folder)}
    assert run_cli(tmp_path, "db", "upgrade", **env).returncode == 0
    # nothing recorded yet: parsed here, said so, and still nothing recorded
    listed = run_cli(tmp_path, "dags", "list", **env)
    assert listed.returncode == 0 and "ro_one" in listed.stdout, listed.stderr
    assert "nothing was recorded" in listed.stderr
    assert "broken.py" in run_cli(tmp_path, "dags", "errors", **env).stdout
    assert recorded(tmp_path) == ([], 0, 0)
    done = run_cli(tmp_path, "dags", "reserialize", **env)
    assert "recorded 1 DAG(s)" in done.stdout and "1 import error(s)" in done.stdout
    assert recorded(tmp_path) == (["ro_one"], 1, 1)
    # a new file: the listing shows what was recorded, --local what the folder holds now
    (folder / "two.py").write_text(DAG_FILE.format(dag_id="ro_two"))
    listed = run_cli(tmp_path, "dags", "list", **env)
    assert "ro_one" in listed.stdout and "ro_two" not in listed.stdout
    assert "nothing was recorded" not in listed.stderr
    local = run_cli(tmp_path, "dags", "list", "--local", **env)
    assert "ro_two" in local.stdout and "nothing was recorded" in local.stderr
    assert recorded(tmp_path) == (["ro_one"], 1, 1)
    client = Client(Settings.from_env({"CHORDFLOW_HOME": str(tmp_path / "state"),
                                       "CHORDFLOW_DAGS_FOLDER": str(folder)}))
    try:
        assert client.dags() == ["ro_one"] and client.dags(local=True) == ["ro_one", "ro_two"]
        assert list(client.import_errors()) == [str(folder / "broken.py")]
        assert recorded(tmp_path) == (["ro_one"], 1, 1)
        assert sorted(client.reserialize()) == ["ro_one", "ro_two"]
    finally:
        client.close()
    assert recorded(tmp_path)[0] == ["ro_one", "ro_two"]
