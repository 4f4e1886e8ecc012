"""Dynamic task mapping end to end: real workers, Redis and PostgreSQL, Airflow syntax."""
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.servers import wait_for


@pytest.fixture(scope="module")
def mapped(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    return cluster_env


def rows(c, run_id):
    """The run's state and task_id -> map_index -> (state, xcom, start, end)."""
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            run = conn.execute(text("SELECT id, state FROM dag_run WHERE run_id = :r"),
                               {"r": run_id}).one()
            out: dict = {}
            for t, m, s, start, end, value in conn.execute(text(
                    "SELECT ti.task_id, ti.map_index, ti.state, ti.start_date, ti.end_date, "
                    "x.value FROM task_instance ti LEFT JOIN xcom x ON x.run_pk = ti.run_pk "
                    "AND x.task_id = ti.task_id AND x.map_index = ti.map_index "
                    "AND x.key = 'return_value' WHERE ti.run_pk = :p"), {"p": run.id}):
                out.setdefault(t, {})[m] = (s, json.loads(value) if value else None, start, end)
        return run.state, out
    finally:
        handle.close()


def children(tis, task_id):
    return {m: v for m, v in tis[task_id].items() if m >= 0}


def results(tis, task_id):
    kids = children(tis, task_id)
    assert sorted(kids) == list(range(len(kids)))
    return [kids[m][1] for m in sorted(kids)]


def trigger(c, dag_id, run_id):
    return c.cli("trigger", dag_id, "--run-id", run_id, "--wait", timeout=240)


def test_literal_runtime_bash_python_and_reduce(mapped):
    c = mapped
    done = trigger(c, "m_basic", "b1")
    assert done.returncode == 0, done.stdout + done.stderr
    state, tis = rows(c, "b1")
    assert state == "success"
    assert {t: ti[-1][0] for t, ti in tis.items()} == dict.fromkeys(tis, "success")
    assert results(tis, "add") == [2, 3, 4]
    assert all(v[0] == "success" for v in children(tis, "add").values())
    assert tis["sum_it"][-1][1] == 9  # the reduce got the list in map_index order
    assert tis["pulled"][-1][1] == [2, 3, 4]  # ti.xcom_pull of a mapped task: the list
    assert results(tis, "double") == [10, 12, 14, 16]  # count decided at run time
    assert tis["sum_doubled"][-1][1] == 52
    assert results(tis, "again") == [4, 6, 8]  # a mapped task over a mapped task
    assert results(tis, "echo") == ["one", "two"]
    assert results(tis, "py") == [10, 20]
    assert results(tis, "add_kw") == [11, 22]
    for task_id in ("add", "double", "echo"):
        assert tis[task_id][-1][1] is None  # the parent row holds no value of its own
    # the reduce started after every child ended; the parent ended with its last child
    last_child_end = max(v[3] for v in children(tis, "add").values())
    assert tis["sum_it"][-1][2] >= last_child_end
    assert tis["add"][-1][3] >= last_child_end
    assert tis["sum_doubled"][-1][2] >= max(v[3] for v in children(tis, "double").values())
    # the CLI lists each child with its map index, and shows one child's log
    assert "add[0]: success" in done.stdout
    shown = c.cli("runs", "show", "m_basic/b1")
    assert shown.returncode == 0, shown.stderr
    header, *lines = shown.stdout.splitlines()[1:]
    assert header.split()[:3] == ["task", "map_index", "state"]
    add_rows = [l.split()[:3] for l in lines if l.startswith("add ")]
    # the parent (no map index), then its children 0..2
    assert add_rows == [["add", "success", "1"], ["add", "0", "success"],
                        ["add", "1", "success"], ["add", "2", "success"]]
    logs = c.cli("tasks", "logs", "m_basic/b1", "echo", "--map-index", "1")
    assert logs.returncode == 0, logs.stderr
    assert "echo[1]" in logs.stdout and "two" in logs.stdout and "one\n" not in logs.stdout
    parent_log = c.cli("tasks", "logs", "m_basic/b1", "double")
    assert "expanded into 4 mapped task instance(s)" in parent_log.stdout
    missing = c.cli("tasks", "logs", "m_basic/b1", "echo", "--map-index", "7")
    assert missing.returncode == 2 and "no mapped task instance 7" in missing.stderr


def test_zero_length_expansion_skips_and_downstream_follows_trigger_rules(mapped):
    c = mapped
    done = trigger(c, "m_empty", "e1")
    assert done.returncode == 0, done.stdout + done.stderr
    state, tis = rows(c, "e1")
    assert state == "success"
    assert list(tis["show"]) == [-1]  # no children
    assert tis["show"][-1][0] == "skipped"
    assert tis["after"][-1][0] == "skipped"  # all_success over a skipped upstream
    assert tis["always"][-1][0] == "success"  # all_done
    assert tis["always"][-1][1] == "ran"


def test_one_failing_child_fails_the_parent_and_not_its_siblings(mapped):
    c = mapped
    done = trigger(c, "m_fail", "f1")
    assert done.returncode == 1, done.stdout + done.stderr
    state, tis = rows(c, "f1")
    assert state == "failed"
    kids = children(tis, "boom")
    assert {m: v[0] for m, v in kids.items()} == {0: "success", 1: "failed", 2: "success"}
    assert [kids[0][1], kids[2][1]] == [1, 3]
    assert tis["boom"][-1][0] == "failed"
    assert tis["fine"][-1][0] == "success"
    assert tis["after"][-1][0] == "upstream_failed"
    logs = c.cli("tasks", "logs", "m_fail/f1", "boom", "--map-index", "1")
    assert "two is not welcome" in logs.stdout


def test_mapped_task_mid_chain_runs_the_continuation_after_all_children(mapped):
    c = mapped
    done = trigger(c, "m_chain", "c1")
    assert done.returncode == 0, done.stdout + done.stderr
    state, tis = rows(c, "c1")
    assert state == "success"
    assert results(tis, "middle") == ["A", "B", "C"]
    assert tis["joined"][-1][1] == "ABCside"
    assert tis["last"][-1][1] == "ABCside!"
    children_end = max(v[3] for v in children(tis, "middle").values())
    assert tis["joined"][-1][2] >= children_end
    assert tis["last"][-1][2] >= tis["joined"][-1][3]
    order = [l.rsplit(" ", 1)[0] for l in
             (Path(c.env["CHORDFLOW_TEST_OUT"]) / "m_chain.txt").read_text().splitlines()]
    assert order.index("joined") > max(order.index(f"middle {x}") for x in "abc")
    assert order[-1] == "last"


def test_the_scheduler_resends_a_lost_child_and_settles_its_parent(mapped):
    """A child whose message was lost is sent again with its map index; the parent is
    settled when it ends, and the run closes."""
    c = mapped
    assert trigger(c, "m_fail", "lost").returncode == 1
    handle = c.cluster()
    try:
        with handle.store.engine.begin() as conn:
            run_pk = conn.execute(text("SELECT id FROM dag_run WHERE run_id = 'lost'")).scalar()
            args = {"p": run_pk}
            # as if child 1 had never been delivered: its parent still mapped, the run running
            conn.execute(text("UPDATE task_instance SET state = 'none', "
                              "queued_at = now() - interval '1 hour' WHERE run_pk = :p "
                              "AND task_id = 'boom' AND map_index = 1"), args)
            conn.execute(text("UPDATE task_instance SET state = 'mapped' WHERE run_pk = :p "
                              "AND task_id = 'boom' AND map_index = -1"), args)
            conn.execute(text("UPDATE task_instance SET state = 'none' WHERE run_pk = :p "
                              "AND task_id = 'after'"), args)
            conn.execute(text("UPDATE dag_run SET state = 'running', end_date = NULL "
                              "WHERE id = :p"), args)
    finally:
        handle.close()
    wait_for(lambda: rows(c, "lost")[0] == "failed", 90, what="the repaired run to end")
    state, tis = rows(c, "lost")
    assert tis["boom"][1][0] == "failed" and tis["boom"][-1][0] == "failed"
    assert tis["after"][-1][0] == "upstream_failed"
    assert "task boom[1]: ready since" in c.procs[0].output
    assert "task after: ready since" not in c.procs[0].output  # the child's arrival sent it
    logs = c.cli("tasks", "logs", "m_fail/lost", "boom", "--map-index", "1").stdout
    assert "--- try 2 ---" in logs  # the resent child ran as its next try


def test_the_canvas_carried_every_run(mapped):
    """Only the run whose child was lost on purpose needed the scheduler's repair: the
    children's group took each mapped task's place in its chain and chord."""
    scheduler = mapped.procs[0]
    assert "scheduler started" in scheduler.output
    resent = [l for l in scheduler.output.splitlines() if "sending it again" in l]
    assert resent and all("task boom[1]" in l for l in resent), resent


def test_clearing_a_mapped_task_expands_it_again(mapped):
    c = mapped
    done = c.cli("tasks", "clear", "m_basic/b1", "--task", "^add$", "--downstream", "--wait",
                 timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    state, tis = rows(c, "b1")
    assert state == "success"
    assert results(tis, "add") == [2, 3, 4] and results(tis, "again") == [4, 6, 8]
    assert tis["sum_it"][-1][1] == 9 and tis["pulled"][-1][1] == [2, 3, 4]
    handle = c.cluster()
    try:
        with handle.store.engine.connect() as conn:
            tries = dict(conn.execute(text(
                "SELECT map_index, try_number FROM task_instance ti JOIN dag_run r "
                "ON r.id = ti.run_pk WHERE r.run_id = 'b1' AND ti.task_id = 'add'")).all())
    finally:
        handle.close()
    assert tries == {-1: 2, 0: 1, 1: 1, 2: 1}  # the expansion's try; fresh children
