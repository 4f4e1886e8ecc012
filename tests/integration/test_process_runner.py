"""The process runner's tries start in children forked ahead of them (spares): each is used
once, and a spare forked before its DAG file changed never runs the file's old code."""
import json
import os
import time

import pytest

from tests.servers import wait_for

EDITED = '''
import datetime as dt
from airflow import DAG
from airflow.operators.python import PythonOperator

VERSION = {version}


def which():
    import os
    return {{"version": VERSION, "pid": os.getpid()}}


with DAG("pr_edited", start_date=dt.datetime(2024, 1, 1), schedule=None):
    PythonOperator(task_id="which", python_callable=which)
'''


# the try's process dies without a word while a process it forked lives on, holding
# everything the try's process held
FORKS_THEN_DIES = '''
import datetime as dt, os, time
from airflow import DAG
from airflow.operators.python import PythonOperator


def fork_and_die():
    if os.fork() == 0:
        time.sleep(300)
        os._exit(0)
    os._exit(3)


with DAG("pr_forks_then_dies", start_date=dt.datetime(2024, 1, 1), schedule=None):
    PythonOperator(task_id="dies", python_callable=fork_and_die)
'''


@pytest.fixture(scope="module")
def folder(cluster_env):
    dags = cluster_env.tmp / "runner_dags"
    dags.mkdir()
    (dags / "edited.py").write_text(EDITED.format(version=1))
    (dags / "forks.py").write_text(FORKS_THEN_DIES)
    cluster_env.env.update(CHORDFLOW_DAGS_FOLDER=str(dags), CHORDFLOW_DAG_DIR_LIST_INTERVAL="1",
                           CHORDFLOW_DAGS_ARE_PAUSED_AT_CREATION="false")
    cluster_env.scheduler()
    cluster_env.worker(concurrency=1)  # one worker process: one template, one spare
    return cluster_env, dags


def parsed(c, dag_id: str = "pr_edited") -> bool:
    from sqlalchemy import text

    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM dag "
                                          "WHERE dag_id = :d"), {"d": dag_id}).scalar())
    finally:
        handle.close()


def answer(c) -> dict:
    done, run, tis, xcoms = c.run_dag("pr_edited", timeout=120)
    assert run.state == "success", done.stdout + done.stderr
    value = xcoms[("which", "return_value")]
    return json.loads(value) if isinstance(value, str) else value


def test_a_spare_forked_before_its_dag_file_changed_does_not_run_the_old_code(folder):
    c, dags = folder
    wait_for(lambda: parsed(c), 60, what="pr_edited parsed")
    first, again = answer(c), answer(c)
    assert first["version"] == again["version"] == 1
    assert first["pid"] != again["pid"]  # each try a process of its own
    # a spare was forked after the last try, holding version 1 of the file; the edit
    # keeps the DAG's structure (no new DAG version): the worker loads the file again
    path = dags / "edited.py"
    path.write_text(EDITED.format(version=2))
    later = time.time() + 5
    os.utime(path, (later, later))
    assert answer(c)["version"] == 2
    assert answer(c)["version"] == 2


def test_a_try_that_dies_without_a_word_fails_though_a_process_it_forked_lives_on(folder):
    c, _ = folder
    wait_for(lambda: parsed(c, "pr_forks_then_dies"), 60, what="pr_forks_then_dies parsed")
    done, run, tis, _ = c.run_dag("pr_forks_then_dies", timeout=120)
    assert run.state == "failed", done.stdout + done.stderr
    assert "exited with code 3" in (tis["dies"].error or ""), tis["dies"].error
