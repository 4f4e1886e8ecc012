import pytest

from cluster.config import Settings, mask_url
from cluster.errors import ConfigError


def test_embedded_defaults(tmp_path):
    s = Settings.from_env({"CHORDFLOW_HOME": str(tmp_path)})
    assert s.embedded and s.database_url == f"sqlite:///{tmp_path / 'chordflow.db'}"


def test_cluster_settings_and_masking():
    s = Settings.from_env({
        "CHORDFLOW_DATABASE_URL": "postgresql://cf:pgsecret@db:5432/cf",
        "CHORDFLOW_BROKER_URL": "redis://:redissecret@redis:6379/0",
        "CHORDFLOW_FERNET_KEY": "k" * 43 + "=",
    })
    shown = "\n".join(f"{k}={v}" for k, v in s.shown().items())
    assert not s.embedded
    assert "pgsecret" not in shown and "redissecret" not in shown and "k" * 43 not in shown
    assert "redis://:***@redis:6379/0" in shown and "cf:***@db:5432" in shown


def test_settings_repr_masks_passwords_and_the_key():
    # a failing test prints its fixtures' values, settings among them
    s = Settings.from_env({
        "CHORDFLOW_DATABASE_URL": "postgresql://cf:pgsecret@db:5432/cf",
        "CHORDFLOW_BROKER_URL": "redis://:redissecret@redis:6379/0",
        "CHORDFLOW_RESULT_BACKEND": "redis://:backendsecret@redis:6379/1",
        "CHORDFLOW_FERNET_KEY": "k" * 43 + "=",
        "CHORDFLOW_DAGS_FOLDER": "/srv/dags",
    })
    text = repr(s)
    for secret in ("pgsecret", "redissecret", "backendsecret", "k" * 43):
        assert secret not in text
    assert "cf:***@db:5432" in text and "fernet_key='***'" in text
    assert "dags_folder=PosixPath('/srv/dags')" in text


@pytest.mark.parametrize("name,value", [
    ("DATABASE_URL", "mysql://x"), ("BROKER_URL", "nonsense"), ("RUNNER", "ssh"),
    ("QUEUED_TIMEOUT", "soon"), ("QUEUED_TIMEOUT", "-1"), ("LOG_LEVEL", "LOUD"),
    ("HEARTBEAT_INTERVAL", "nan"),
])
def test_garbage_settings_are_named_in_the_error(name, value):
    with pytest.raises(ConfigError, match=f"CHORDFLOW_{name}"):
        Settings.from_env({f"CHORDFLOW_{name}": value})


def test_mask_url_leaves_passwordless_urls_alone():
    assert mask_url("redis://localhost:6379/0") == "redis://localhost:6379/0"
