"""The `airflow` namespace as Airflow users and provider packages meet it."""
import importlib
import subprocess
import sys
import textwrap

import pytest

from cluster.compat.namespace import airflow_names


def run_python(code: str, *paths: str) -> subprocess.CompletedProcess:
    """A fresh interpreter: the namespace is process-wide, so each case starts clean."""
    env_path = ":".join([*paths, *sys.path])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
                          timeout=120)


def test_attribute_access_on_the_mapped_package():
    with airflow_names():
        import airflow
        assert airflow.utils.dates.days_ago(1) < airflow.utils.dates.days_ago(0)
        assert airflow.models.Variable is importlib.import_module("cluster.sdk.variable").Variable
        assert airflow.__version__.startswith("3.")
        with pytest.raises(AttributeError, match="'no_such_thing' of 'airflow.utils'"):
            airflow.utils.no_such_thing  # noqa: B018


def test_refusals_are_import_errors_so_fallbacks_work():
    with airflow_names():
        namespace = {}
        exec(textwrap.dedent("""
            try:
                from airflow.sdk import NoSuchOperator
            except ImportError as exc:
                fallback = str(exc)
            try:
                import airflow.no_such_module
            except ModuleNotFoundError as exc:
                missing = str(exc)
            try:
                from airflow.providers.slack.operators.slack import SlackAPIPostOperator
            except ImportError as exc:
                provider = str(exc)
        """), namespace)
    assert "'NoSuchOperator' of 'airflow.sdk'" in namespace["fallback"]
    assert "'airflow.no_such_module'" in namespace["missing"]
    assert "pip install --no-deps apache-airflow-providers-slack" in namespace["provider"]


def test_airflow_3_surface():
    with airflow_names():
        from airflow.sdk import (DAG, BaseHook, BaseOperator, BaseSensorOperator, Connection,
                                 Context, DagRunState, Param, TaskInstanceState, TriggerRule,
                                 Variable, XComArg, chain, chain_linear, conf,
                                 cross_downstream, dag, get_current_context,
                                 get_parsing_context, task)
        from airflow.sdk.exceptions import AirflowSkipException, AirflowConfigException
        from airflow.sdk.definitions.context import Context as Context2
        from airflow.providers.common.compat.sdk import TriggerRule as Rule2, timezone
        from airflow.configuration import conf as conf2
        from airflow.utils.decorators import apply_defaults
        from airflow.exceptions import AirflowProviderDeprecationWarning
        from airflow.utils.log.logging_mixin import LoggingMixin
        from airflow.triggers.base import BaseTrigger, TriggerEvent
        from airflow.operators.postgres_operator import PostgresOperator
        from airflow.hooks.base_hook import BaseHook as Hook2
        from airflow.sensors.external_task_sensor import ExternalTaskSensor
    assert Rule2 is TriggerRule and Hook2 is BaseHook and conf is conf2 and Context2 is Context
    assert get_parsing_context().dag_id is None
    assert timezone.utcnow().tzinfo is not None
    assert apply_defaults(len) is len
    assert conf.get("core", "dags_folder")
    with pytest.raises(AirflowConfigException, match=r"\[core/no_such_key\]"):
        conf.get("core", "no_such_key")
    assert conf.get("core", "no_such_key", fallback="x") == "x"
    with pytest.raises(AirflowConfigException, match="secret"):
        conf.get("database", "sql_alchemy_conn")


def test_orm_names_import_and_refuse_on_use_saying_what_instead():
    with airflow_names():
        from airflow.models import DagRun, TaskInstance
        from airflow.utils.session import provide_session
    from cluster.errors import UnsupportedFeatureError
    with pytest.raises(UnsupportedFeatureError, match="DagRun.find .*instead"):
        DagRun.find(dag_id="x")
    with pytest.raises(UnsupportedFeatureError, match="TaskInstance"):
        TaskInstance(task=None)

    @provide_session
    def count(session=None):
        return session.query()

    with pytest.raises(UnsupportedFeatureError, match="provide_session"):
        count()


def test_an_installed_provider_comes_through_and_wins_over_a_stand_in(tmp_path):
    site = tmp_path / "site"
    # a provider wheel creates airflow/providers/<name>/ and no airflow/__init__.py
    for package, body in {
        "airflow/providers/acme": "",
        "airflow/providers/acme/hooks": "",
        "airflow/providers/postgres": "",
        "airflow/providers/postgres/hooks": "",
    }.items():
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text(body)
    (site / "airflow/providers/acme/hooks/acme.py").write_text(textwrap.dedent("""
        from airflow import __version__
        from airflow.sdk import BaseHook
        from airflow.exceptions import AirflowProviderDeprecationWarning
        class AcmeHook(BaseHook):
            version = __version__
    """))
    (site / "airflow/providers/postgres/hooks/postgres.py").write_text(
        "from airflow.providers.common.sql.hooks.sql import DbApiHook\n"
        "class PostgresHook(DbApiHook):\n    real = True\n")
    result = run_python("""
        from cluster.compat.namespace import install, real_airflow_installed
        assert not real_airflow_installed()
        install()
        from airflow import DAG
        from airflow.providers.acme.hooks.acme import AcmeHook
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from airflow.providers.standard.operators.bash import BashOperator
        from cluster.sdk.hooks import BaseHook
        assert issubclass(AcmeHook, BaseHook), AcmeHook.__mro__
        assert PostgresHook.real and BashOperator.__module__ == "cluster.sdk.operators.bash"
        print("ok", AcmeHook.version)
    """, str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok 3.")


def test_real_airflow_is_left_alone(tmp_path):
    (tmp_path / "airflow").mkdir()
    (tmp_path / "airflow/__init__.py").write_text("REAL = True\n")
    result = run_python("""
        from cluster.compat.namespace import install
        install()
        import airflow
        print(airflow.REAL)
    """, str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_labels_pass_dependencies_through():
    with airflow_names():
        from airflow.operators.empty import EmptyOperator
        from airflow.sdk import DAG, Label, task
        from airflow.utils.edgemodifier import Label as Label2
    with DAG("labels", schedule=None) as dag:
        a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
        a >> Label("x") >> [b, c]
        [b, c] >> Label2("y") >> d

        @task
        def first():
            return 1

        first() >> Label("z") >> a
        d << Label("back") << EmptyOperator(task_id="e")
    upstream = {k: sorted(v.upstream_task_ids) for k, v in dag.task_dict.items()}
    assert upstream == {"a": ["first"], "b": ["a"], "c": ["a"], "d": ["b", "c", "e"], "e": [],
                        "first": []}
