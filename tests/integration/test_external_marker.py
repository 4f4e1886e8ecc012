"""ExternalTaskMarker through `chordflow tasks clear --downstream` on a real cluster."""
from pathlib import Path

import pytest

from cluster.control import services
from tests.servers import ok, wait_for


@pytest.fixture(scope="module")
def mk(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def marks(c):
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / "marker.txt"
    return [l.rsplit(" ", 1)[0] for l in path.read_text().splitlines()] if path.exists() else []


def run_state(c, ref):
    handle = c.cluster()
    try:
        return services.run_details(handle, ref)[0].state
    finally:
        handle.close()


def test_clear_downstream_follows_the_marker_into_the_other_dag(mk):
    when = "2024-02-01T00:00:00+00:00"
    ok(mk.cli("trigger", "mk_child", "--wait", "--run-id", "c1", "--logical-date", when))
    ok(mk.cli("trigger", "mk_parent", "--wait", "--run-id", "p1", "--logical-date", when))
    ok(mk.cli("trigger", "mk_child", "--wait", "--run-id", "c_other",
              "--logical-date", "2024-02-02"))
    assert sorted(marks(mk)) == sorted(["child_start", "child_end", "unrelated", "work",
                                        "child_start", "child_end", "unrelated"])
    out = ok(mk.cli("tasks", "clear", "mk_parent/p1", "-t", "^work$", "--downstream"))
    assert "work, mark_child, mk_child/c1:child_start, mk_child/c1:child_end" in out
    wait_for(lambda: marks(mk).count("child_end") == 3 and run_state(mk, "mk_child/c1") ==
             "success", 60, what="the child run to run its cleared tasks again")
    assert marks(mk).count("work") == 2 and marks(mk).count("child_start") == 3
    assert marks(mk).count("unrelated") == 2          # not downstream of the marked task
    # Without --downstream the marker is not followed.
    out = ok(mk.cli("tasks", "clear", "mk_parent/p1", "-t", "^mark_child$"))
    assert "mk_child" not in out


def test_markers_pointing_at_each_other_stop_at_the_recursion_depth(mk):
    when = "2024-03-01T00:00:00+00:00"
    for dag_id in ("mk_loop_a", "mk_loop_b"):
        ok(mk.cli("trigger", dag_id, "--wait", "--run-id", "l1", "--logical-date", when))
    done = mk.cli("tasks", "clear", "mk_loop_a/l1", "--downstream")
    assert done.returncode == 2
    assert "Maximum recursion depth 3 reached for ExternalTaskMarker loop" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
