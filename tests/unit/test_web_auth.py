"""The web server's users and tokens: hashed passwords, signed expiring tokens, and no
server without a user."""
from __future__ import annotations

import pytest

from cluster.errors import ConfigError
from cluster.web.auth import Authenticator
from cluster.web.passwords import check_password, hash_password
from cluster.web.settings import WebSettings

def test_a_password_hash_is_salted_and_checks_only_its_password():
    one, two = hash_password("s3cret", iterations=1000), hash_password("s3cret", iterations=1000)
    assert one != two and "s3cret" not in one
    assert check_password("s3cret", one) and check_password("s3cret", two)
    assert not check_password("s3cret!", one) and not check_password("s3cret", "plain")

def test_settings_refuse_to_start_without_users_and_take_hashed_ones():
    with pytest.raises(ConfigError, match="CHORDFLOW_WEBSERVER_ADMIN_USER"):
        WebSettings.from_env({})
    with pytest.raises(ConfigError, match="hash-password"):
        WebSettings.from_env({"CHORDFLOW_WEBSERVER_USERS": "bob:plaintext"})
    with pytest.raises(ConfigError, match="go together"):
        WebSettings.from_env({"CHORDFLOW_WEBSERVER_ADMIN_USER": "admin"})
    with pytest.raises(ConfigError, match="PORT"):
        WebSettings.from_env({"CHORDFLOW_WEBSERVER_ADMIN_USER": "a",
                              "CHORDFLOW_WEBSERVER_ADMIN_PASSWORD": "p",
                              "CHORDFLOW_WEBSERVER_PORT": "http"})
    hashed = hash_password("bob-pass", iterations=1000)
    web = WebSettings.from_env({"CHORDFLOW_WEBSERVER_USERS": f"bob:{hashed}",
                                "CHORDFLOW_WEBSERVER_ADMIN_USER": "admin",
                                "CHORDFLOW_WEBSERVER_ADMIN_PASSWORD": "admin-pass",
                                "CHORDFLOW_WEBSERVER_PORT": "9090"})
    assert web.port == 9090 and set(web.users) == {"bob", "admin"}
    assert "admin-pass" not in repr(web)
    auth = Authenticator(web)
    assert auth.login("bob", "bob-pass") and auth.login("admin", "admin-pass")
    assert not auth.login("bob", "admin-pass") and not auth.login("eve", "bob-pass")

def _auth(seconds: int = 3600, key: str = "k1") -> Authenticator:
    return Authenticator(WebSettings(host="h", port=1, users={"bob": hash_password("p", 1000)},
                                     secret_key=key, token_seconds=seconds))

def test_tokens_are_signed_expire_and_name_a_known_user():
    auth = _auth()
    token = auth.issue("bob")
    assert auth.verify(token) == "bob"
    head, body, sig = token.split(".")
    assert auth.verify(f"{head}.{body}.{sig[:-2]}xx") is None
    assert _auth(key="other").verify(token) is None
    assert auth.verify("garbage") is None and auth.verify("a.b.c") is None
    expired = _auth(seconds=-1).issue("bob")
    assert auth.verify(expired) is None
    gone = Authenticator(WebSettings(host="h", port=1, users={"eve": "x"}, secret_key="k1"))
    assert gone.verify(token) is None  # a user removed from the configuration
