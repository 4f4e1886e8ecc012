"""Setup and teardown tasks: marking, scoping, the teardown's trigger rule, and which
tasks a run's state comes from."""
import datetime as dt

import pytest

from cluster.compat.namespace import airflow_names
from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError
from cluster.sdk.operators.empty import EmptyOperator
from cluster.sdk.operators.python import setup, task, teardown
from cluster.planning.serialization import serialize_dag
from cluster.sdk.setup_teardown import effective_leaves
from cluster.sdk.task_group import TaskGroup
from cluster.sdk.trigger_rules import TriggerRule, evaluate, spec_ready, spec_verdict

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
S, F, K, U = "success", "failed", "skipped", "upstream_failed"


def ups(dag):
    return {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}


def specs(dag):
    return {t["task_id"]: t for t in serialize_dag(dag)["tasks"]}


def test_as_teardown_marks_the_setups_and_links_them():
    with DAG("d", start_date=START, schedule=None) as dag:
        create = EmptyOperator(task_id="create")
        work = EmptyOperator(task_id="work")
        delete = EmptyOperator(task_id="delete").as_teardown(setups=create)
        create >> work >> delete
    assert create.is_setup and not create.is_teardown and delete.is_teardown
    assert delete.trigger_rule is TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert ups(dag) == {"create": [], "work": ["create"], "delete": ["create", "work"]}
    spec = specs(dag)
    assert spec["create"]["setup"] and spec["delete"]["teardown"]
    assert spec["delete"]["setups"] == ["create"] and "on_failure_fail_dagrun" not in spec["delete"]
    assert "setup" not in spec["work"] and "teardown" not in spec["work"]


def test_on_failure_fail_dagrun_is_only_for_teardowns():
    with DAG("d", start_date=START, schedule=None):
        plain = EmptyOperator(task_id="plain")
        with pytest.raises(DagDefinitionError, match="not a teardown task"):
            plain.on_failure_fail_dagrun = True
        strict = EmptyOperator(task_id="strict").as_teardown(on_failure_fail_dagrun=True)
    assert strict.on_failure_fail_dagrun is True


def test_decorators_and_the_teardown_as_context_manager():
    with DAG("d", start_date=START, schedule=None) as dag:
        @setup
        def make():
            return "id"

        @teardown
        def drop(cluster_id):
            pass

        @task
        def work():
            pass

        @teardown(on_failure_fail_dagrun=True)
        def strict():
            pass

        with TaskGroup("g"):
            inner = EmptyOperator(task_id="inner_setup").as_setup()
            inner_work = EmptyOperator(task_id="inner_work")
            inner_down = EmptyOperator(task_id="inner_down").as_teardown(setups=inner)
            inner >> inner_work >> inner_down
        with drop(make()):
            work()
            before = EmptyOperator(task_id="before")
        strict()
    # the block's roots come after the setup, its leaves before the teardown
    assert ups(dag)["work"] == ["make"] and ups(dag)["before"] == ["make"]
    assert ups(dag)["drop"] == ["before", "make", "work"]
    assert ups(dag)["g.inner_setup"] == []  # made before the block: not in it
    assert dag.get_task("make").is_setup and dag.get_task("drop").is_teardown
    assert dag.get_task("strict").on_failure_fail_dagrun is True
    assert dag.get_task("drop").on_failure_fail_dagrun is False
    # a group's leaves are its work, not its teardown
    with DAG("e", start_date=START, schedule=None) as other:
        with TaskGroup("g") as g:
            s = EmptyOperator(task_id="s").as_setup()
            w = EmptyOperator(task_id="w")
            t = EmptyOperator(task_id="t").as_teardown(setups=s)
            s >> w >> t
        g >> EmptyOperator(task_id="after")
    assert ups(other)["after"] == ["g.w"]


def test_only_setups_and_teardowns_are_context_managers_and_setups_feed_all_success():
    with DAG("d", start_date=START, schedule=None):
        plain = EmptyOperator(task_id="plain")
        with pytest.raises(DagDefinitionError, match="Only setup/teardown"):
            with plain:
                pass
    with DAG("bad", start_date=START, schedule=None) as dag:
        s = EmptyOperator(task_id="s").as_setup()
        s >> EmptyOperator(task_id="w", trigger_rule="all_done")
    with pytest.raises(DagDefinitionError, match="must be followed with trigger rule all_success"):
        dag.check()


@pytest.mark.parametrize("upstream, setups, expected", [
    ({"s": S, "w": F}, ["s"], None),          # work failed: the teardown still runs
    ({"s": S, "w": U}, ["s"], None),
    ({"s": F, "w": U}, ["s"], U),             # its setup did not succeed: it does not
    ({"s": K, "w": K}, ["s"], K),             # every setup skipped: skipped
    ({"s1": S, "s2": F, "w": U}, ["s1", "s2"], None),  # one setup ran: it runs
    ({"w": F}, [], None),                     # no setup upstream: like all_done
])
def test_all_done_setup_success(upstream, setups, expected):
    got = evaluate(TriggerRule.ALL_DONE_SETUP_SUCCESS, upstream.values(),
                   [upstream[s] for s in setups])
    assert (got.value if got else None) == expected


def test_a_task_in_a_setups_scope_waits_for_it_and_fails_with_it():
    with DAG("d", start_date=START, schedule=None) as dag:
        s = EmptyOperator(task_id="s").as_setup()
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b", trigger_rule="all_done")
        t = EmptyOperator(task_id="t").as_teardown(setups=s)
        s >> a >> b >> t
    spec = specs(dag)
    assert spec["b"]["setup_scope"] == ["s"] and "setup_scope" not in spec["a"]
    b_spec = spec["b"]
    assert not spec_ready(b_spec, {"a": U, "s": None})
    # an all_done task after a failed setup does not run: its setup failed
    assert spec_ready(b_spec, {"a": U, "s": F})
    assert spec_verdict(b_spec, {"a": U, "s": F})[0].value == U
    assert spec_verdict(b_spec, {"a": K, "s": K})[0].value == K
    assert spec_verdict(b_spec, {"a": F, "s": S}) == (None, "")


def test_a_teardown_waits_for_the_work_between_its_setups_and_itself():
    with DAG("d", start_date=START, schedule=None) as dag:
        s = EmptyOperator(task_id="s").as_setup()
        fast = EmptyOperator(task_id="fast")
        slow = EmptyOperator(task_id="slow")
        either = EmptyOperator(task_id="either", trigger_rule="one_success")
        t = EmptyOperator(task_id="t").as_teardown(setups=s)
        s >> [fast, slow] >> either >> t
    spec = specs(dag)["t"]
    assert spec["teardown_scope"] == ["fast", "slow"]
    assert not spec_ready(spec, {"s": S, "either": S, "fast": S, "slow": "running"})
    assert spec_ready(spec, {"s": S, "either": S, "fast": S, "slow": F})


def test_the_run_state_comes_from_the_non_teardown_leaves():
    with DAG("d", start_date=START, schedule=None) as dag:
        s = EmptyOperator(task_id="s").as_setup()
        w = EmptyOperator(task_id="w")
        t = EmptyOperator(task_id="t").as_teardown(setups=s)
        s >> w >> t
    assert effective_leaves(serialize_dag(dag)["tasks"]) == {"w"}
    with DAG("e", start_date=START, schedule=None) as strict_dag:
        s = EmptyOperator(task_id="s").as_setup()
        w = EmptyOperator(task_id="w")
        strict = EmptyOperator(task_id="strict").as_teardown(setups=s,
                                                             on_failure_fail_dagrun=True)
        s >> w >> strict
    # a teardown that fails the run is a leaf like any task (Airflow's is_effective_leaf)
    assert effective_leaves(serialize_dag(strict_dag)["tasks"]) == {"strict"}
    with DAG("only", start_date=START, schedule=None) as alone:
        EmptyOperator(task_id="t").as_teardown()
    assert effective_leaves(serialize_dag(alone)["tasks"]) == {"t"}


def test_airflow_names():
    with airflow_names():
        from airflow.decorators import setup as old_setup, teardown as old_teardown
        from airflow.sdk import setup as sdk_setup, teardown as sdk_teardown
    assert old_setup is sdk_setup is setup and old_teardown is sdk_teardown is teardown


def test_clearing_work_clears_its_setups_and_teardowns():
    from cluster.sdk.setup_teardown import cleared_with

    with DAG("d", start_date=START, schedule=None) as dag:
        s = EmptyOperator(task_id="s").as_setup()
        w = EmptyOperator(task_id="w")
        t = EmptyOperator(task_id="t").as_teardown(setups=s)
        other = EmptyOperator(task_id="other_setup").as_setup()
        done = EmptyOperator(task_id="other_teardown").as_teardown(setups=other)
        other >> done >> s  # a setup whose teardown is not below w: not relevant to it
        s >> w >> t
        plain = EmptyOperator(task_id="plain")
        s >> plain
    tasks = serialize_dag(dag)["tasks"]
    # the example's words: clear task_2, and task_1 (its setup) and task_3 (its teardown)
    assert cleared_with(tasks, ["w"], downstream=False, upstream=False) == {"s", "t"}
    # a setup brings its teardowns; a teardown alone brings nothing
    assert cleared_with(tasks, ["s"], downstream=False, upstream=False) == {"t"}
    assert cleared_with(tasks, ["t"], downstream=False, upstream=False) == set()
    # with upstream, every upstream setup's teardowns come along
    assert cleared_with(tasks, ["w"], downstream=False, upstream=True) == {
        "t", "other_teardown"}
    # a setup whose teardowns are not below the task is not one it runs in the scope of
    assert cleared_with(tasks, ["plain"], downstream=False, upstream=False) == set()
