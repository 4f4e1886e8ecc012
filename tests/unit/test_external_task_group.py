"""ExternalTaskSensor(external_task_group_id=...): waiting for another DAG's task group,
with Airflow's rule that the group is in a set of states when all its instances are."""
import datetime as dt

import pytest

from cluster.config import Settings
from cluster.errors import AirflowException, AirflowFailException, AirflowSkipException, \
    DagDefinitionError
from cluster.control.scheduler import sync_dags
from cluster.control import cross_dag
from cluster.sdk import launchers
from cluster.sdk.sensors import ExternalTaskSensor
from cluster.states import TaskState
from cluster.store import Store
from cluster.store import dags as dag_store
from cluster.store import runs as run_store
from cluster.store import tasks as ti_store

UTC = dt.timezone.utc
DAY = dt.datetime(2024, 3, 5, tzinfo=UTC)
PARENT = '''
import datetime as dt
from airflow.sdk import DAG, TaskGroup
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("parent", start_date=dt.datetime(2024, 1, 1), schedule=None):
    with TaskGroup("grp"):
        a = EmptyOperator(task_id="a")
        with TaskGroup("inner"):
            b = EmptyOperator(task_id="b")
        a >> b
    EmptyOperator(task_id="outside")
'''


@pytest.fixture
def parent_run(tmp_path, monkeypatch):
    """A SQLite store with a started run of `parent` at DAY, installed as the sensor's."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "parent.py").write_text(PARENT)
    url = f"sqlite:///{tmp_path / 'cf.db'}"
    store = Store(url)
    store.ensure_schema()
    sync_dags(store, dags)
    monkeypatch.setattr(cross_dag, "metastore", lambda: store)
    launchers.register("cross_dag", cross_dag.__name__)  # as a worker does
    run = run_store.create_run(store, "parent", logical_date=DAY)
    run_store.start_run(store, run.id, dag_store.version_data(store, run.dag_version_id)["tasks"])

    def settle(task_id, state):
        assert ti_store.settle_without_running(store, run.id, task_id, state, "test")

    yield settle
    store.dispose()


def sensor(**kwargs):
    return ExternalTaskSensor(task_id="wait", external_dag_id="parent",
                              external_task_group_id="grp", **kwargs)


def test_done_when_every_task_of_the_group_is_allowed(parent_run):
    ctx = {"logical_date": DAY}
    waiting = sensor(allowed_states=["success"], failed_states=["failed", "skipped"])
    assert waiting.poke(ctx) is False
    parent_run("grp.a", TaskState.SKIPPED)
    # one task skipped is not the whole group: Airflow counts the group only when all match
    assert waiting.poke(ctx) is False
    assert sensor(allowed_states=["success", "skipped"]).poke(ctx) is False  # inner.b waits
    parent_run("grp.inner.b", TaskState.SKIPPED)
    with pytest.raises(AirflowFailException, match="task group 'grp' of DAG parent"):
        waiting.poke(ctx)
    assert sensor(allowed_states=["success", "skipped"]).poke(ctx) is True
    with pytest.raises(AirflowSkipException):
        sensor(skipped_states=["skipped"]).poke(ctx)
    # a task outside the group does not count
    assert sensor(allowed_states=["skipped"]).poke(ctx) is True


def test_no_run_or_no_such_group_is_not_done(parent_run):
    assert sensor().poke({"logical_date": DAY + dt.timedelta(days=1)}) is False
    other = ExternalTaskSensor(task_id="w", external_dag_id="parent",
                               external_task_group_id="nope")
    assert other.poke({"logical_date": DAY}) is False
    checked = ExternalTaskSensor(task_id="c", external_dag_id="parent",
                                 external_task_group_id="nope", check_existence=True)
    with pytest.raises(AirflowException, match="task group 'nope'.*does not exist"):
        checked.poke({"logical_date": DAY})
    assert sensor(check_existence=True).poke({"logical_date": DAY}) is False


def test_arguments():
    with pytest.raises(DagDefinitionError, match="not both"):
        ExternalTaskSensor(task_id="e", external_dag_id="o", external_task_id="a",
                           external_task_group_id="g")
    # with a group, the states are task states (skipped is one), not run states
    ExternalTaskSensor(task_id="e", external_dag_id="o", external_task_group_id="g",
                       failed_states=["failed", "skipped"])
    with pytest.raises(DagDefinitionError, match="unknown state"):
        ExternalTaskSensor(task_id="e", external_dag_id="o", failed_states=["skipped"])
    assert "external_task_group_id" in ExternalTaskSensor.template_fields


def test_groups_list_their_tasks_and_old_versions_fall_back_on_the_prefix():
    from cluster.store.external import group_task_ids

    data = {"task_groups": {"g": {"roots": ["g.a"], "tasks": ["g.a", "x"]}},
            "_index": {"g.a": {}, "g.b": {}, "x": {}}}
    assert group_task_ids(data, "g") == ["g.a", "x"]
    assert group_task_ids(data, "h") == []
    old = {"task_groups": {"g": {"roots": ["g.a"]}}, "_index": {"g.a": {}, "g.b": {}, "x": {}}}
    assert group_task_ids(old, "g") == ["g.a", "g.b"]
