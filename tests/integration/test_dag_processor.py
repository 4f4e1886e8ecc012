"""DAG files are parsed apart from the scheduler loop: a file that hangs while it loads
holds up no run, and with CHORDFLOW_STANDALONE_DAG_PROCESSOR parsing is left to
`chordflow dag-processor`. Workers import a DAG file under the same limits."""
import pytest
from sqlalchemy import text

from tests.servers import ok, wait_for

GOOD = '''
import datetime as dt
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("{dag_id}", start_date=dt.datetime(2024, 1, 1), schedule=None):
    BashOperator(task_id="hello", bash_command="echo hello from {dag_id}")
'''

# mentions airflow and dag (safe mode); marks its start, then loads for five minutes
HANGING = '''
import pathlib, time
from airflow import DAG
pathlib.Path({marker!r}).write_text("loading")
time.sleep(300)
'''


@pytest.fixture(scope="module")
def folder(cluster_env):
    dags = cluster_env.tmp / "own_dags"
    dags.mkdir()
    (dags / "good.py").write_text(GOOD.format(dag_id="p_good"))
    cluster_env.env.update(CHORDFLOW_DAGS_FOLDER=str(dags), CHORDFLOW_DAG_DIR_LIST_INTERVAL="1",
                           CHORDFLOW_DAG_FILE_PROCESSOR_TIMEOUT="300",
                           CHORDFLOW_DAGS_ARE_PAUSED_AT_CREATION="false")
    cluster_env.worker(concurrency=2)
    return cluster_env, dags


def known(c):
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            return {d for (d,) in conn.execute(text("SELECT dag_id FROM dag WHERE is_active"))}
    finally:
        handle.close()


def test_a_file_that_hangs_while_loading_holds_up_no_run(folder):
    c, dags = folder
    scheduler = c.scheduler()
    wait_for(lambda: "p_good" in known(c), 60, what="p_good parsed")
    marker = c.tmp / "hanging-started"
    (dags / "hanging.py").write_text(HANGING.format(marker=str(marker)))
    wait_for(marker.exists, 60, what="the DAG processor to start loading hanging.py")
    # the folder's parse is now stuck for minutes; the scheduler still starts runs
    for n in range(3):
        out = ok(c.cli("trigger", "p_good", "--run-id", f"while-hanging-{n}", "--wait",
                       timeout=90))
        assert "success" in out, out
    assert "parsed in a thread of its own" in scheduler.output
    scheduler.stop()


def test_a_standalone_dag_processor_parses_for_the_schedulers(folder):
    c, dags = folder
    (dags / "hanging.py").unlink(missing_ok=True)
    scheduler = c.scheduler(CHORDFLOW_STANDALONE_DAG_PROCESSOR="true")
    assert "parsed by a standalone DAG processor" in scheduler.output
    (dags / "later.py").write_text(GOOD.format(dag_id="p_later"))
    processor = c.start("dag-processor", marker="DAG processor started")
    wait_for(lambda: "p_later" in known(c), 60, what="the DAG processor to record p_later")
    out = ok(c.cli("trigger", "p_later", "--wait", timeout=90))
    assert "success" in out, out
    processor.stop()
    # without it nothing parses: a new file stays unknown to the scheduler
    (dags / "unseen.py").write_text(GOOD.format(dag_id="p_unseen"))
    ok(c.cli("trigger", "p_good", "--run-id", "after-processor", "--wait", timeout=90))
    assert "p_unseen" not in known(c)
    scheduler.stop()


# hangs at import only where WORKER_HANG=1 (the worker below): the DAG processor records it
IMPORT_HANGS_IN_WORKER = '''
import datetime as dt, os, time
from airflow import DAG
from airflow.operators.bash import BashOperator

if os.environ.get("WORKER_HANG") == "1":
    time.sleep(600)
with DAG("p_import_hangs", start_date=dt.datetime(2024, 1, 1), schedule=None):
    BashOperator(task_id="t", bash_command="echo never", queue="importq")
'''


def test_a_worker_imports_a_dag_file_under_the_parse_limits(folder):
    """A file that hangs when the worker imports it fails its try with the reason after
    CHORDFLOW_DAG_FILE_PROCESSOR_TIMEOUT, and the worker goes on running other tries."""
    c, dags = folder
    (dags / "import_hangs.py").write_text(IMPORT_HANGS_IN_WORKER)
    (dags / "after.py").write_text(GOOD.format(dag_id="p_after").replace(
        'bash_command="echo hello from p_after"',
        'bash_command="echo hello from p_after", queue="importq"'))
    scheduler = c.scheduler()
    wait_for(lambda: {"p_import_hangs", "p_after"} <= known(c), 60, what="both DAGs parsed")
    worker = c.start("worker", "-c", "1", "-n", "importq@%h", "-Q", "importq", marker="ready.",
                     WORKER_HANG="1", CHORDFLOW_DAG_FILE_PROCESSOR_TIMEOUT="3")
    _, run, tis, _ = c.run_dag("p_import_hangs", timeout=120)
    assert run.state == "failed" and tis["t"].state == "failed"
    assert "parsing took longer than 3s" in (tis["t"].error or ""), tis["t"].error
    # the one slot of that worker (the only one consuming importq) is free again
    _, run, tis, _ = c.run_dag("p_after", timeout=120)
    assert run.state == "success" and tis["hello"].state == "success"
    worker.stop()
    scheduler.stop()
