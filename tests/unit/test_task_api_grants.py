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
