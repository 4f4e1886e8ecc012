"""Task API tokens: one per try, random, refused once revoked or expired."""
import pytest

from workers.task_api.grants import LIFETIME_SLACK, Grants
from workers.task_api.protocol import Status
from workers.task_api.server import ApiRefusal, TaskApi


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_token_expires_after_the_try_timeout_plus_slack_and_is_refused(tmp_path):
    clock = Clock()
    api = TaskApi(store=None, socket_dir=str(tmp_path))
    api.grants = Grants(clock)
    grant = api.grants.issue((7, "t", -1, 1), {"dag_id": "d", "run_id": "r"}, timeout=10)
    other = api.grants.issue((7, "t", -1, 2), {"dag_id": "d", "run_id": "r"}, timeout=10)
    assert grant.token != other.token and len(grant.token) >= 40
    assert api.answer(grant.token, "context", {}) == {"dag_id": "d", "run_id": "r"}
    clock.now += 10 + LIFETIME_SLACK + 1
    with pytest.raises(ApiRefusal) as refused:
        api.answer(grant.token, "context", {})
    assert refused.value.status is Status.UNAUTHORIZED


def test_a_revoked_or_unknown_token_is_refused_and_unknown_calls_are_named(tmp_path):
    api = TaskApi(store=None, socket_dir=str(tmp_path))
    grant = api.grants.issue((1, "t", -1, 1), {}, timeout=None)
    with pytest.raises(ApiRefusal, match="no task API call 'drop_tables'"):
        api.answer(grant.token, "drop_tables", {})
    api.grants.revoke(grant.token)
    for token in (grant.token, "", "guess"):
        with pytest.raises(ApiRefusal, match="unknown, revoked or expired"):
            api.answer(token, "context", {})


def test_a_standby_token_only_waits_and_gets_its_try_token_once(tmp_path, monkeypatch):
    """A warm container's token: no call but the wait; the try it is handed comes with the
    try's own token, and the standby token is dead from then on."""
    import threading

    from workers.task_api import server

    monkeypatch.setattr(server, "STANDBY_WAIT", 0.05)
    api = TaskApi(store=None, socket_dir=str(tmp_path))
    standby = api.grants.issue_standby()
    for call in ("xcom_push", "variable_get", "connection_get", "result"):
        with pytest.raises(ApiRefusal, match="a standby token can only wait"):
            api.answer(standby.token, call, {"key": "k", "value": 1, "conn_id": "c"})
    assert api.answer(standby.token, "context", {}) == {"standby": True}  # not yet: again
    grant = api.grants.issue((3, "t", -1, 1), {"dag_id": "d"}, timeout=None)
    threading.Timer(0.01, api.grants.hand_over, (standby, grant)).start()
    monkeypatch.setattr(server, "STANDBY_WAIT", 5)
    assert api.answer(standby.token, "context", {}) == {"dag_id": "d", "token": grant.token}
    assert grant.calls == 1
    with pytest.raises(ApiRefusal, match="unknown, revoked or expired"):
        api.answer(standby.token, "context", {})


def test_a_revoked_standby_ends_its_wait_without_a_try(tmp_path):
    import threading

    api = TaskApi(store=None, socket_dir=str(tmp_path))
    standby = api.grants.issue_standby()
    threading.Timer(0.01, api.grants.revoke, (standby.token,)).start()
    with pytest.raises(ApiRefusal, match="without a try"):
        api.answer(standby.token, "context", {})
