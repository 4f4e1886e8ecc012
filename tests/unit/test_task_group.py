"""TaskGroup / @task_group as DAG structure: ids, defaults, edges, refusals."""
import copy
import datetime as dt

import pytest

from cluster.sdk import expand as mapping
from cluster.planning.compiler import compile_plan
from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError, DuplicateTaskIdError, UnsupportedFeatureError
from cluster.sdk.operators import EmptyOperator, chain, task
from cluster.planning.serialization import serialize_dag
from cluster.sdk.task_group import TaskGroup, task_group

START = dt.datetime(2024, 1, 1)


def ups(dag):
    return {t: sorted(u) for t, u in dag.upstream_map().items()}


def test_nested_ids_prefixes_and_defaults():
    with DAG("d", start_date=START, default_args={"retries": 1, "queue": "q"}) as dag:
        with TaskGroup("outer", default_args={"retries": 2}):
            a = EmptyOperator(task_id="a")
            with TaskGroup("inner", default_args={"queue": "fast"}) as inner:
                b = EmptyOperator(task_id="b")
                c = EmptyOperator(task_id="c", retries=5)
            with TaskGroup("flat", prefix_group_id=False):
                d = EmptyOperator(task_id="d")
        e = EmptyOperator(task_id="e")
    assert [t.task_id for t in (a, b, c, d, e)] == ["outer.a", "outer.inner.b",
                                                    "outer.inner.c", "d", "e"]
    assert (a.retries, b.retries, c.retries, e.retries) == (2, 2, 5, 1)
    assert (a.queue, b.queue, e.queue) == ("q", "fast", "q")
    assert inner.group_id == "outer.inner" and set(dag.task_group_dict) == {
        "outer", "outer.inner", "outer.flat"}


def test_group_edges_are_leaves_to_roots_and_compile_exactly():
    with DAG("d", start_date=START) as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("g1") as g1:
            x = EmptyOperator(task_id="x")
            x >> EmptyOperator(task_id="y")
            EmptyOperator(task_id="z")
        with TaskGroup("g2") as g2:
            EmptyOperator(task_id="p") >> EmptyOperator(task_id="q")
        end = EmptyOperator(task_id="end")
        start >> g1 >> g2
        end << g2
    assert ups(dag) == {"start": [], "g1.x": ["start"], "g1.y": ["g1.x"], "g1.z": ["start"],
                        "g2.p": ["g1.y", "g1.z"], "g2.q": ["g2.p"], "end": ["g2.q"]}
    plan = compile_plan(dag.upstream_map())
    assert plan.series_parallel and not plan.joins
    groups = serialize_dag(dag)["task_groups"]
    assert groups["g2"] == {"roots": ["g2.p"], "tasks": ["g2.p", "g2.q"], "tooltip": ""}
    assert groups["g1"]["tasks"] == ["g1.x", "g1.y", "g1.z"]


def test_chain_and_lists_accept_groups():
    with DAG("d", start_date=START) as dag:
        with TaskGroup("a") as a:
            EmptyOperator(task_id="t")
        with TaskGroup("b") as b:
            EmptyOperator(task_id="t")
        c = EmptyOperator(task_id="c")
        chain(a, [b, c])
    assert ups(dag) == {"a.t": [], "b.t": ["a.t"], "c": ["a.t"]}


def test_task_group_decorator_calls_and_results():
    with DAG("d", start_date=START) as dag:
        @task
        def one(x):
            return x

        @task_group
        def g(x):
            """a tooltip"""
            return one(x)

        @task_group(group_id="h")
        def nothing_returned():
            one(0)

        first = g(1)
        second = g(first)
        grp = nothing_returned()
        second >> grp
    assert isinstance(grp, TaskGroup) and grp.group_id == "h"
    assert ups(dag) == {"g.one": [], "g__1.one": ["g.one"], "h.one": ["g__1.one"]}
    assert dag.task_group_dict["g"].tooltip == "a tooltip"


def test_a_mapped_task_group_maps_each_of_its_tasks_over_the_group_input():
    with DAG("d", start_date=START) as dag:
        @task
        def numbers():
            return [1, 2]

        @task
        def one(x, y):
            return x + y

        @task
        def two(v):
            return v

        @task_group
        def g(x, y=5):
            return two(one(x, y))

        @task
        def after(values):
            return values

        after(g.partial(y=1).expand(x=numbers()))
        g.override(group_id="k").expand_kwargs([{"x": 1}, {"x": 2, "y": 3}])
    one_, two_ = dag.get_task("g.one"), dag.get_task("g.two")
    assert one_.is_mapped and two_.is_mapped and not dag.get_task("after").is_mapped
    assert one_._expand_input.target == mapping.GROUP
    assert ups(dag)["g.one"] == ["numbers"] and ups(dag)["after"] == ["g.two"]
    assert mapping.same_index_tasks(two_) == {"g.one", "g.two"}
    assert mapping.same_index_tasks(dag.get_task("after")) == frozenset()
    # one index's values go where the function's MappedArguments were, on a copy
    child = copy.copy(dag.get_task("k.one"))
    mapping.unmap(child, {"x": 2, "y": 3})
    assert child.op_args == [2, 3] and isinstance(dag.get_task("k.one").op_args[0],
                                                    mapping.MappedArgument)
    child = copy.copy(dag.get_task("k.one"))
    mapping.unmap(child, {"x": 1})  # y missing from this dict: the function's default
    assert child.op_args == [1, 5]


def test_mapped_task_group_refusals():
    with DAG("d", start_date=START):
        @task
        def one(x):
            return x

        @task_group
        def g(x):
            return one(x)

        @task_group
        def mapped_inside(x):
            return one.expand(x=[1])

        @task_group
        def over_the_argument(x):
            return one.expand(x=[x])

        with pytest.raises(DagDefinitionError, match="unexpected argument 'z'"):
            g.expand(z=[1])
        with pytest.raises(DagDefinitionError, match="needs a list"):
            g.expand(x=3)
        with pytest.raises(UnsupportedFeatureError, match="mapped itself"):
            mapped_inside.expand(x=[1, 2])
        with pytest.raises(UnsupportedFeatureError, match="inside a mapped task group"):
            over_the_argument.expand(x=[1, 2])
        no_default = g.override(group_id="nd").expand_kwargs([{"x": 1}, {}])
    with pytest.raises(mapping.MappingError, match="gives no 'x'"):
        mapping.unmap(copy.copy(no_default.operator), {})


def test_clashing_and_orphan_groups_are_refused():
    with DAG("d", start_date=START):
        TaskGroup("g")
        with pytest.raises(DuplicateTaskIdError, match="group id 'g'"):
            TaskGroup("g")
        EmptyOperator(task_id="t")
        with pytest.raises(DuplicateTaskIdError):
            TaskGroup("t")
        TaskGroup("u")
        with pytest.raises(DuplicateTaskIdError, match="task group"):
            EmptyOperator(task_id="u")
    with pytest.raises(DagDefinitionError, match="inside a DAG"):
        TaskGroup("alone")
    with DAG("d3", start_date=START):
        with pytest.raises(DagDefinitionError):
            TaskGroup("bad id!")
