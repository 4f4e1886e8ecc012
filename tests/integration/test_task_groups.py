"""Task groups through the CLI on a real cluster: prefixed ids, group defaults, exact
group-to-group edges, `@task_group` results passed on, a branch that follows a group."""
from pathlib import Path

import pytest

from tests.servers import ok


@pytest.fixture(scope="module")
def groups(cluster_env):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=4)
    return cluster_env


def run_dag(c, dag_id, *extra):
    done, run, tis, xcoms = c.run_dag(dag_id, *extra)
    ok(done)
    return run, {t: (ti.state, ti.try_number) for t, ti in tis.items()}, xcoms


def marks(c):
    """task id -> time of its last recorded try."""
    path = Path(c.env["CHORDFLOW_TEST_OUT"]) / "task_groups.txt"
    out = {}
    for line in path.read_text().splitlines():
        what, when = line.rsplit(" ", 1)
        out[what.rsplit(":", 1)[0]] = float(when)
    return out


def test_groups_run_with_their_ids_defaults_and_edges(groups):
    run, tis, xcoms = run_dag(groups, "tg_groups")
    assert run.state == "success", tis
    assert set(tis) == {
        "start", "extract.flaky", "extract.inner.parse", "extract.inner.check", "extract.side",
        "loose", "publish.flaky", "publish.other", "transform.double", "transform.plus_one",
        "transform__1.double", "transform__1.plus_one", "end"}
    # The group's default_args (retries=1, over the DAG's 0) gave the flaky task its retry.
    assert tis["extract.flaky"] == ("success", 2)
    assert tis["publish.flaky"] == ("success", 2)
    assert xcoms[("transform__1.plus_one", "return_value")] == 7   # (1*2+1)*2+1
    at = marks(groups)
    # extract >> load >> publish(): each leaf of a group before each root of the next.
    for up, down in [("start", "extract.flaky"), ("start", "extract.side"),
                     ("extract.flaky", "extract.inner.parse"),
                     ("extract.inner.parse", "extract.inner.check"),
                     ("extract.inner.check", "loose"), ("extract.side", "loose"),
                     ("loose", "publish.flaky"), ("loose", "publish.other"),
                     ("publish.flaky", "end"), ("publish.other", "end")]:
        assert at[up] < at[down], (up, down)


def test_a_branch_naming_a_group_follows_its_roots(groups):
    run, tis, _ = run_dag(groups, "tg_branch")
    assert run.state == "success"
    assert {t: s for t, (s, _) in tis.items()} == {
        "choose": "success", "path_a.one": "success", "path_a.two": "success",
        "path_b.one": "skipped", "join": "success"}
    run, tis, _ = run_dag(groups, "tg_branch", "--conf", '{"path": "path_b"}')
    assert {t: s for t, (s, _) in tis.items()} == {
        "choose": "success", "path_a.one": "skipped", "path_a.two": "skipped",
        "path_b.one": "success", "join": "success"}
