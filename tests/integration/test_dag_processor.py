"""DAG files are parsed apart from the scheduler loop: a file that hangs while it loads
holds up no run, and with CHORDFLOW_STANDALONE_DAG_PROCESSOR parsing is left to
`chordflow dag-processor`."""
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
