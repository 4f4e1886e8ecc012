import pytest

from cluster.states import TaskState as S
from cluster.trigger_rules import evaluate

RUN = None


@pytest.mark.parametrize("rule,states,expected", [
    ("all_success", [S.SUCCESS, S.SUCCESS], RUN),
    ("all_success", [S.SUCCESS, S.FAILED], S.UPSTREAM_FAILED),
    ("all_success", [S.SUCCESS, S.UPSTREAM_FAILED], S.UPSTREAM_FAILED),
    ("all_success", [S.SUCCESS, S.SKIPPED], S.SKIPPED),
    ("all_failed", [S.FAILED, S.UPSTREAM_FAILED], RUN),
    ("all_failed", [S.FAILED, S.SUCCESS], S.SKIPPED),
    ("all_done", [S.FAILED, S.SKIPPED], RUN),
    ("one_success", [S.FAILED, S.SUCCESS], RUN),
    ("one_failed", [S.SUCCESS, S.SUCCESS], S.SKIPPED),
    ("none_failed", [S.SUCCESS, S.SKIPPED], RUN),
    ("none_failed", [S.SUCCESS, S.FAILED], S.UPSTREAM_FAILED),
    ("none_failed_min_one_success", [S.SKIPPED, S.SKIPPED], S.SKIPPED),
    ("none_skipped", [S.SUCCESS, S.SKIPPED], S.SKIPPED),
    ("always", [S.FAILED], RUN),
])
def test_rules(rule, states, expected):
    assert evaluate(rule, states) == expected
