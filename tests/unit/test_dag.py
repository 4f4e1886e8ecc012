import pytest

from cluster import DAG, BashOperator, EmptyOperator, PythonOperator, chain, task
from cluster.errors import DagCycleError, DuplicateTaskIdError, UnsupportedFeatureError


def test_shift_operators_with_lists_build_edges():
    with DAG("d") as dag:
        a, b, c, d = (EmptyOperator(task_id=n) for n in "abcd")
        a >> [b, c] >> d
    assert dag.upstream_map() == {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    with DAG("e") as dag2:
        x, y = EmptyOperator(task_id="x"), EmptyOperator(task_id="y")
        [x] << y
    assert dag2.upstream_map() == {"x": ["y"], "y": []}


def test_chain_pairs_equal_lists():
    with DAG("d") as dag:
        a, b, c, d, e, f = (EmptyOperator(task_id=n) for n in "abcdef")
        chain(a, [b, c], [d, e], f)
    assert dag.upstream_map() == {"a": [], "b": ["a"], "c": ["a"], "d": ["b"], "e": ["c"],
                                  "f": ["d", "e"]}


def test_cycle_is_an_error_naming_the_tasks():
    with DAG("cyc") as dag:
        a, b, c, d = (EmptyOperator(task_id=n) for n in "abcd")
        a >> b >> c >> b
        c >> d
    with pytest.raises(DagCycleError) as err:
        dag.check()
    message = str(err.value)
    assert "cyc" in message and "b" in message and "c" in message and "a ->" not in message


def test_duplicate_task_id_is_an_error():
    with DAG("dup"):
        EmptyOperator(task_id="same")
        with pytest.raises(DuplicateTaskIdError, match="'same'"):
            EmptyOperator(task_id="same")


def test_default_args_fill_operator_arguments_not_given():
    with DAG("d", default_args={"retries": 3, "bash_command": "echo hi", "owner": "x"}) as dag:
        b = BashOperator(task_id="b")
        p = PythonOperator(task_id="p", python_callable=print, retries=1)
    assert (b.retries, b.bash_command, p.retries) == (3, "echo hi", 1)
    assert dag.task_ids == ["b", "p"]


def test_taskflow_call_wires_xcom_dependencies_and_unique_ids():
    with DAG("tf") as dag:
        @task
        def one():
            return 1

        @task
        def add(x, y):
            return x + y

        a = one()
        b = one()
        total = add(a, y=b)
    assert sorted(dag.task_ids) == ["add", "one", "one__1"]
    assert dag.upstream_map()["add"] == ["one", "one__1"]
    assert total.operator.task_id == "add"


def test_unknown_operator_argument_fails_loudly():
    with DAG("d"):
        with pytest.raises(UnsupportedFeatureError, match="not_a_real_arg"):
            EmptyOperator(task_id="x", not_a_real_arg=1)


def test_schedule_interval_is_the_older_name_of_schedule():
    assert DAG("d", schedule_interval="@daily").schedule == "@daily"
    assert DAG("d", schedule="@hourly").schedule == "@hourly"


def test_wait_for_downstream_implies_depends_on_past():
    with DAG("d_past"):
        plain = PythonOperator(task_id="ok", python_callable=print, depends_on_past=False)
        waits = PythonOperator(task_id="w", python_callable=print, wait_for_downstream=True)
    assert not plain.depends_on_past
    assert waits.depends_on_past and waits.wait_for_downstream
    assert waits.ignore_first_depends_on_past
