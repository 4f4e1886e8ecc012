"""Dynamic task mapping, the authoring side: serialization, expansion, validation errors."""
import datetime as dt
import re

import pytest

from cluster import DAG, BashOperator, PythonOperator, task
from cluster.errors import DagDefinitionError
from cluster.sdk.expand import MappingError, expansion, unmap
from cluster.planning.serialization import serialize_dag

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def double(x):
    return 2 * x


def specs(dag):
    return {t["task_id"]: t for t in serialize_dag(dag)["tasks"]}


def test_mapped_tasks_serialize_their_inputs_and_depend_on_xcom_sources():
    with DAG("m", start_date=START) as dag:
        @task
        def add(x, y):
            return x + y

        @task
        def numbers():
            return [1, 2]

        add.partial(y=1).expand(x=[1, 2, 3])
        add.override(task_id="rt").expand(x=numbers(), y=[10, 20])
        BashOperator.partial(task_id="b").expand(bash_command=["echo 1", "echo 2"])
        PythonOperator.partial(task_id="p", python_callable=double).expand(op_args=[[1], [2]])
        add.override(task_id="kw").expand_kwargs([{"x": 1, "y": 2}])
        add(1, 2)
    got = specs(dag)
    assert got["add"]["mapped"] == {"kind": "expand", "target": "op_kwargs",
                                    "args": {"x": {"kind": "literal", "value": [1, 2, 3]}}}
    assert got["rt"]["mapped"]["args"] == {
        "x": {"kind": "xcom", "task_id": "numbers", "key": "return_value"},
        "y": {"kind": "literal", "value": [10, 20]}}
    assert got["rt"]["upstream"] == ["numbers"]
    assert got["b"]["mapped"] == {"kind": "expand", "target": None, "args": {
        "bash_command": {"kind": "literal", "value": ["echo 1", "echo 2"]}}}
    assert got["p"]["mapped"]["args"]["op_args"]["value"] == [[1], [2]]
    assert got["kw"]["mapped"]["kind"] == "expand_kwargs"
    assert "mapped" not in got["add__1"]  # an unmapped task's spec is unchanged
    assert dag.get_task("add").is_mapped and not dag.get_task("add__1").is_mapped


def test_expansion_is_a_cartesian_product_in_map_index_order():
    with DAG("m", start_date=START) as dag:
        @task
        def add(x, y):
            return x + y

        @task
        def numbers():
            return [1, 2]

        listed = numbers()
        add.expand(x=listed, y=["a", "b"])
        add.override(task_id="kw").expand_kwargs(listed)
    pulled = {"numbers": [1, 2]}
    rows = expansion(dag.get_task("add")._expand_input, lambda t, k: pulled[t])
    assert rows == [{"x": 1, "y": "a"}, {"x": 1, "y": "b"}, {"x": 2, "y": "a"},
                    {"x": 2, "y": "b"}]
    with pytest.raises(MappingError, match="expand_kwargs needs a list of dicts"):
        expansion(dag.get_task("kw")._expand_input, lambda t, k: pulled[t])
    pulled["numbers"] = 7
    with pytest.raises(MappingError, match="expected a list, got int"):
        expansion(dag.get_task("add")._expand_input, lambda t, k: pulled[t])
    pulled["numbers"] = []
    assert expansion(dag.get_task("add")._expand_input, lambda t, k: pulled[t]) == []


def test_unmap_sets_one_childs_values_on_a_copy_only():
    import copy

    with DAG("m", start_date=START) as dag:
        @task
        def add(x, y):
            return x + y

        add.partial(y=1).expand(x=[5])
        BashOperator.partial(task_id="b", env={"A": "1"}).expand(bash_command=["echo 1"])
    original = dag.get_task("add")
    child = copy.copy(original)
    unmap(child, {"x": 5})
    assert child.op_kwargs == {"y": 1, "x": 5} and original.op_kwargs == {"y": 1}
    bash = copy.copy(dag.get_task("b"))
    unmap(bash, {"bash_command": "echo 1"})
    assert bash.bash_command == "echo 1" and bash.env == {"A": "1"}


@pytest.mark.parametrize("build, message", [
    (lambda add: add.expand(z=[1]), "expand() got an unexpected argument 'z'"),
    (lambda add: add.partial(z=1), "partial() got an unexpected argument 'z'"),
    (lambda add: add.expand(x=5), "expand(x=...) needs a list, a dict or the output"),
    (lambda add: add.expand(x="abc"), "got str 'abc'"),
    (lambda add: add.partial(x=1).expand(x=[1]), "'x' is given to both partial"),
    (lambda add: add.expand(), "expand() needs at least one argument"),
    (lambda add: add.expand(x=[object()]), "must be JSON"),
    (lambda add: add.expand_kwargs([1, 2]), "needs a list of dicts"),
    (lambda add: add.expand_kwargs({"x": 1}), "needs a list or the output"),
    (lambda add: BashOperator.partial(bash_command="echo").expand(env=[{}]),
     "BashOperator.partial() needs a task_id"),
    (lambda add: BashOperator.partial(task_id="b").expand(bash_commandz=["echo"]),
     "BashOperator takes no such argument"),
    (lambda add: BashOperator.partial(task_id="b").expand(bash_command="echo 1"),
     "BashOperator('b'): expand(bash_command=...) needs a list"),
    (lambda add: PythonOperator.partial(task_id="p", python_callable=double)
     .expand(task_id=["x"]), "'task_id' cannot be mapped"),
])
def test_partial_and_expand_errors_are_dag_definition_errors(build, message):
    with DAG("m", start_date=START):
        @task
        def add(x, y=0):
            return x + y

        with pytest.raises(DagDefinitionError, match=re.escape(message)):
            build(add)


def test_a_partial_expands_once():
    with DAG("m", start_date=START):
        partial = BashOperator.partial(task_id="b")
        partial.expand(bash_command=["echo"])
        with pytest.raises(DagDefinitionError, match="already expanded"):
            partial.expand(bash_command=["echo"])
