"""Connections' URI form, variables from the environment, Fernet at rest, the masker."""
import json

import pytest
from cryptography.fernet import Fernet

from cluster.sdk import secrets
from cluster.control.metastore_secrets import MetastoreBackend
from cluster.sdk.connection import Connection
from cluster.security.crypto import Crypto
from cluster.errors import AirflowNotFoundException, ConfigError, InvalidInputError
from cluster.security.masking import Masker, should_hide_value_for_key
from cluster.store import Store
from cluster.sdk.variable import Variable


@pytest.mark.parametrize("uri, fields", [
    ("postgresql://us%40er:p%40ss%2Fw@db.host:5432/my%20db?sslmode=require",
     dict(conn_type="postgres", login="us@er", password="p@ss/w", host="db.host", port=5432,
          schema="my db", extra_dejson={"sslmode": "require"})),
    ("http://https%3A%2F%2Fexample.com", dict(conn_type="http", host="https://example.com")),
    ("http://https://example.com:443/api", dict(host="https://example.com", port=443, schema="api")),
    ("google-cloud-platform://?__extra__=%7B%22a%22%3A+%5B1%5D%7D",
     dict(conn_type="google_cloud_platform", extra_dejson={"a": [1]})),
    ("sqlite://%2Ftmp%2Fx.db", dict(conn_type="sqlite", host="/tmp/x.db")),
])
def test_uri_parses_like_airflow_and_round_trips(uri, fields):
    conn = Connection("c", uri=uri)
    for name, value in fields.items():
        assert getattr(conn, name) == value, name
    again = Connection("c", uri=conn.get_uri())
    assert again.to_dict() == conn.to_dict()


def test_bad_uri_and_json_are_one_line_errors():
    with pytest.raises(InvalidInputError, match="invalid connection URI"):
        Connection("c", uri="no scheme here")
    with pytest.raises(InvalidInputError, match=r"\*\*\*"):  # the password is not echoed
        Connection("c", uri="a://u:pw@h:port")
    with pytest.raises(InvalidInputError, match="unknown fields"):
        Connection.from_json('{"hots": "x"}', "c")


def test_environment_overrides_in_both_spellings(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MY_API", json.dumps(
        {"conn_type": "http", "host": "api.example", "password": "json-pw-1", "extra": {"k": 1}}))
    monkeypatch.setenv("CHORDFLOW_CONN_PG", "postgres://u:pw-in-uri@h:1/db")
    monkeypatch.setenv("AIRFLOW_VAR_COLOR", "blue")
    monkeypatch.setenv("CHORDFLOW_VAR_SETTINGS", '{"n": 2}')
    secrets.use_backend(EmptyBackend(), thread_only=True)
    try:
        conn = secrets.get_connection("my_api")
        assert (conn.host, conn.password, conn.extra_dejson) == ("api.example", "json-pw-1", {"k": 1})
        assert secrets.get_connection("pg").port == 1
        assert Variable.get("color") == "blue"
        assert Variable.get("settings", deserialize_json=True) == {"n": 2}
        assert Variable.get("absent", default_var=None) is None
        assert Variable.get("absent", default="d") == "d"  # airflow.sdk's spelling
        with pytest.raises(KeyError, match="Variable absent does not exist"):
            Variable.get("absent")
        with pytest.raises(AirflowNotFoundException, match="isn't defined"):
            secrets.get_connection("absent")
        from cluster.security.masking import MASKER
        assert MASKER("json-pw-1 pw-in-uri") == "*** ***"
    finally:
        secrets.use_backend(None, thread_only=True)


class EmptyBackend:
    def get_variable(self, key):
        return None

    def get_connection(self, conn_id):
        return None


def test_metastore_encrypts_at_rest_and_needs_the_key(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.upgrade()
    key = Fernet.generate_key().decode()
    backend = MetastoreBackend(store, Crypto(key))
    backend.set_variable("token", "tv-123")
    backend.add_connection(Connection("db", conn_type="postgres", password="cp-456",
                                      extra={"x": 1}))
    with store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT val FROM variable").scalar()
        pw, extra = conn.exec_driver_sql("SELECT password, extra FROM connection").one()
    assert "tv-123" not in raw and "cp-456" not in pw and '"x"' not in extra
    assert backend.get_variable("token") == "tv-123"
    assert backend.get_connection("db").extra_dejson == {"x": 1}
    # rotation: a new key first, the old one still decrypts
    rotated = MetastoreBackend(store, Crypto(Fernet.generate_key().decode() + "," + key))
    assert rotated.get_connection("db").password == "cp-456"
    with pytest.raises(ConfigError, match="not set"):
        MetastoreBackend(store, Crypto("")).get_variable("token")
    with pytest.raises(ConfigError, match="not the key"):
        MetastoreBackend(store, Crypto(Fernet.generate_key().decode())).get_variable("token")
    # without a key values are stored as they are (Airflow's behaviour), flagged unencrypted
    plain = MetastoreBackend(store, Crypto(""))
    plain.set_variable("open", "visible")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT val, is_encrypted FROM variable WHERE key='open'").one() == ("visible", 0)
    store.dispose()


def test_masker_names_and_structures():
    assert all(should_hide_value_for_key(k) for k in (
        "password", "DB_PASSWORD", "api_key", "apikey", "access_token", "private_key",
        "secret_name", "Authorization", "passwd", "my_token"))
    assert not should_hide_value_for_key("region")
    masker = Masker()
    masker.add_for_key("region", "eu-1")
    masker.add_for_key("cfg", {"nested": {"api_key": "abc123"}, "plain": "keep-me"})
    masker.add("line-one\nline-two")
    assert masker("x abc123 keep-me eu-1 line-two") == "x *** keep-me eu-1 ***"
    assert masker.redact({"password": "anything", "cmd": "echo abc123", "n": [1, "abc123"]}) == \
        {"password": "***", "cmd": "echo ***", "n": [1, "***"]}
