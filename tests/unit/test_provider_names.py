"""The core names Airflow providers import, pure: skipping from inside a try, the providers
manager, module loading, the context helpers; and how images/requirements.py reads a
provider wheel's requirements."""
import importlib.util
import textwrap
import zipfile
from pathlib import Path

import pytest

from cluster.sdk.exceptions import DownstreamTasksSkipped, skipped_task_ids
from cluster.compat.utils import (SkipMixin, context_merge, context_to_airflow_vars,
                                   import_string, qualname)
from cluster.sdk.dag import DAG
from cluster.sdk.operators.empty import EmptyOperator
from tests.unit.test_airflow_namespace import run_python

ROOT = Path(__file__).resolve().parents[2]


class Skipper(SkipMixin, EmptyOperator):
    pass


def small_dag():
    with DAG("skips", schedule=None) as dag:
        gate = Skipper(task_id="gate")
        a, b, c = (EmptyOperator(task_id=t) for t in "abc")
        gate >> [a, b]
        a >> c
    return dag, gate


def test_relatives_direct_and_flat():
    dag, gate = small_dag()
    assert [t.task_id for t in gate.get_direct_relatives()] == ["a", "b"]
    assert gate.get_flat_relative_ids() == {"a", "b", "c"}
    assert [t.task_id for t in dag.task_dict["c"].get_flat_relatives(upstream=True)] == \
        ["a", "gate"]


def test_skip_and_skip_all_except_raise_downstream_tasks_skipped():
    dag, gate = small_dag()
    with pytest.raises(DownstreamTasksSkipped) as raised:
        gate.skip(None, [dag.task_dict["a"], dag.task_dict["c"]])
    assert raised.value.tasks == ["a", "c"]
    with pytest.raises(DownstreamTasksSkipped) as raised:
        gate.skip_all_except(None, "a")
    assert raised.value.tasks == ["b"]
    gate.skip(None, [])  # nothing to skip: the try goes on
    gate.skip_all_except(None, ["a", "b"])


def test_skipped_task_ids_take_ids_and_pairs():
    assert skipped_task_ids([("a", -1), "b"]) == ["a", "b"]
    assert skipped_task_ids("a") == ["a"]


def test_module_loading_and_context_helpers():
    assert import_string("cluster.sdk.dag.DAG") is DAG
    with pytest.raises(ImportError, match="does not define"):
        import_string("cluster.sdk.dag.Nope")
    assert qualname(DAG) == "cluster.sdk.dag.DAG"
    context = {"a": 1}
    context_merge(context, {"b": 2}, c=3)
    assert context == {"a": 1, "b": 2, "c": 3}

    class TI:
        dag_id, task_id, run_id, try_number = "d", "t", "manual__1", 2
    assert context_to_airflow_vars({"ti": TI()}, in_env_var_format=True) == {
        "AIRFLOW_CTX_DAG_ID": "d", "AIRFLOW_CTX_TASK_ID": "t",
        "AIRFLOW_CTX_DAG_RUN_ID": "manual__1", "AIRFLOW_CTX_TRY_NUMBER": "2"}


def test_providers_manager_reads_installed_providers(tmp_path):
    folder = tmp_path / "site" / "airflow" / "providers" / "acme"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "get_provider_info.py").write_text(textwrap.dedent("""
        def get_provider_info():
            return {"package-name": "apache-airflow-providers-acme", "versions": ["1.0.0"],
                    "dialects": [{"dialect-type": "acme", "dialect-class-name": "x.AcmeDialect"}],
                    "connection-types": [{"connection-type": "acme",
                                          "hook-class-name": "x.AcmeHook"}]}
    """))
    result = run_python("""
        from cluster.compat.namespace import install
        install()
        from airflow.providers_manager import ProvidersManager
        manager = ProvidersManager()
        print(manager.dialects["acme"].dialect_class_name, manager.hooks["acme"].hook_class_name,
              manager.providers["apache-airflow-providers-acme"].version)
    """, str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["x.AcmeDialect", "x.AcmeHook", "1.0.0"]


def load_requirements_helper():
    spec = importlib.util.spec_from_file_location("image_requirements",
                                                  ROOT / "images" / "requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_provider_wheels_own_requirements_leave_airflow_out(tmp_path):
    helper = load_requirements_helper()
    wheel = tmp_path / "apache_airflow_providers_acme-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr("apache_airflow_providers_acme-1.0.0.dist-info/METADATA", "\n".join([
            "Metadata-Version: 2.1", "Name: apache-airflow-providers-acme", "Version: 1.0.0",
            "Requires-Dist: apache-airflow>=2.11.0",
            "Requires-Dist: apache-airflow-providers-common-compat>=1.2",
            "Requires-Dist: sqlparse>=0.5.1",
            "Requires-Dist: old-thing>=1; python_version < '3.0'",
            "Requires-Dist: pandas>=2; extra == 'pandas'", ""]))
    assert helper.provider_requirements(wheel) == ["sqlparse>=0.5.1"]


def test_a_requirements_file_naming_airflow_itself_is_refused(tmp_path):
    helper = load_requirements_helper()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pandas==2.2.3  # ours\napache-airflow==3.1.0\n")
    with pytest.raises(SystemExit, match="stands in for Apache Airflow"):
        helper.main(requirements, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_helpers_the_ssh_and_slack_providers_import():
    from cluster.compat.utils import NOTSET, at_most_one, exactly_one, getuser
    assert exactly_one(None, "x", 0) and not exactly_one("a", "b") and not exactly_one()
    assert at_most_one(NOTSET, None, "x") and not at_most_one("a", "b")
    assert getuser()
