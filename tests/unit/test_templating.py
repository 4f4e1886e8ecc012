"""The template context: macros, var/conn accessors, template files, user macros/filters."""
import datetime as dt

import pytest

from cluster import DAG, BashOperator

from cluster.sdk import secrets
from cluster.sdk.templating import render_fields, template_context

DAY = dt.datetime(2024, 2, 28, tzinfo=dt.timezone.utc)


class Backend:
    def get_variable(self, key):
        return {"region": "eu", "cfg": '{"a": {"b": 5}}'}.get(key)

    def get_connection(self, conn_id):
        from cluster.sdk.connection import Connection
        return Connection(conn_id, uri="postgres://u:pw@dbhost:5/s") if conn_id == "db" else None


@pytest.fixture(autouse=True)
def backend():
    secrets.use_backend(Backend(), thread_only=True)
    yield
    secrets.use_backend(None, thread_only=True)


def test_context_names_macros_and_accessors(tmp_path):
    with DAG("d", schedule="@daily", user_defined_macros={"m": "macro"},
             user_defined_filters={"twice": lambda s: s * 2}) as dag:
        op = BashOperator(task_id="t", bash_command=(
            "{{ ds }} {{ ds_nodash }} {{ ts_nodash }} {{ next_ds }} {{ prev_ds }} "
            "{{ macros.ds_add(ds, 2) }} {{ macros.ds_format(ds, '%Y-%m-%d', '%d.%m') }} "
            "{{ var.value.region }} {{ var.json.cfg.a.b }} {{ var.value.get('nope', 'dflt') }} "
            "{{ conn.db.host }}:{{ conn.db.port }} {{ m }} {{ 'ab' | twice }} "
            "{{ (data_interval_end - data_interval_start).days }}"))
    render_fields(op, template_context(DAY, dag.schedule))
    assert op.bash_command == ("2024-02-28 20240228 20240228T000000 2024-02-29 2024-02-27 "
                               "2024-03-01 28.02 eu 5 dflt dbhost:5 macro abab 1")


def test_undefined_variable_or_connection_fails_the_render():
    with DAG("d2") as dag:
        op = BashOperator(task_id="t", bash_command="{{ var.value.missing }}")
        op2 = BashOperator(task_id="t2", bash_command="{{ conn.missing.host }}")
    with pytest.raises(KeyError, match="Variable missing does not exist"):
        render_fields(op, template_context(DAY, dag.schedule))
    with pytest.raises(Exception, match="isn't defined"):
        render_fields(op2, template_context(DAY, dag.schedule))


def test_template_files_beside_the_dag_and_in_searchpath(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "run.sh").write_text("echo {{ ds }} {{ var.value.region }}\n")
    with DAG("d3", template_searchpath=str(lib)) as dag:
        op = BashOperator(task_id="t", bash_command="run.sh")
    render_fields(op, template_context(DAY, dag.schedule))
    assert op.bash_command == "echo 2024-02-28 eu\n"


def test_native_rendering_keeps_types():
    with DAG("d4", render_template_as_native_obj=True) as dag:
        op = BashOperator(task_id="t", bash_command="echo", env={"n": "{{ 1 + 2 }}"})
    render_fields(op, template_context(DAY, dag.schedule))
    assert op.env == {"n": 3}
