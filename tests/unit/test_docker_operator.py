"""DockerOperator takes the arguments Airflow users write, and refuses what it cannot honour."""
import pytest

from cluster import DAG
from cluster.errors import UnsupportedFeatureError
from cluster.sdk.operators.docker import DockerOperator


def make(**kwargs):
    with DAG("d_docker", schedule=None):
        return DockerOperator(task_id="t", image="alpine", **kwargs)


@pytest.mark.parametrize("given, kept", [
    (True, "success"), (False, "never"), ("never", "never"), ("success", "success"),
    ("force", "force"),
])
def test_auto_remove_accepts_airflows_spellings(given, kept):
    assert make(auto_remove=given).auto_remove == kept


def test_auto_remove_rejects_other_values_naming_them():
    with pytest.raises(ValueError, match="auto_remove must be one of never, success, force"):
        make(auto_remove="sometimes")


def test_privileged_containers_are_refused():
    with pytest.raises(UnsupportedFeatureError, match="privileged"):
        make(privileged=True)


def test_templated_fields_and_defaults():
    op = make(command="fetch --date {{ ds }}", environment={"A": "1"},
              private_environment={"PW": "secret"})
    assert "command" in op.template_fields and "environment" in op.template_fields
    assert op.private_environment == {"PW": "secret"} and op.auto_remove == "success"
