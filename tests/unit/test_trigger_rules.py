import pytest

from cluster.states import TaskState as S
from cluster.sdk.trigger_rules import evaluate

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


from cluster.states import RunState, run_outcome
from cluster.sdk.trigger_rules import final_states, ready, verdict


@pytest.mark.parametrize("rule,states,expected", [
    ("one_failed", {"a": "failed", "b": "running"}, True),
    ("one_failed", {"a": "success", "b": "running"}, False),
    ("one_failed", {"a": "upstream_failed", "b": "none"}, True),
    ("one_success", {"a": "success", "b": "running"}, True),
    ("one_success", {"a": "failed", "b": "running"}, False),
    ("one_done", {"a": "failed", "b": "queued"}, True),
    ("one_done", {"a": "skipped", "b": "queued"}, False),
    ("always", {"a": "running", "b": "none"}, True),
    ("none_failed_min_one_success", {"a": "success", "b": "running"}, False),
    ("all_success", {"a": "success", "b": "running"}, False),
    ("all_done", {"a": "failed", "b": "up_for_retry"}, False),
    ("one_failed", {"a": "success", "b": "success"}, True),
])
def test_ready_fires_early_rules_on_the_first_qualifying_upstream(rule, states, expected):
    assert ready(rule, states, sorted(states)) is expected


def test_an_early_rule_decides_on_the_final_upstreams_only():
    states = {"a": "failed", "b": "running"}
    assert verdict("one_failed", final_states(states, ["a", "b"])) == (None, "")
    assert verdict("one_failed", final_states({"a": "success", "b": "success"}, ["a", "b"]))[0] \
        is S.SKIPPED


@pytest.mark.parametrize("leaves,expected", [
    (["success", "success"], RunState.SUCCESS),
    (["success", "skipped"], RunState.SUCCESS),
    (["skipped"], RunState.SUCCESS),
    ([], RunState.SUCCESS),
    (["success", "failed"], RunState.FAILED),
    (["upstream_failed", "success"], RunState.FAILED),
])
def test_run_outcome_comes_from_the_leaves(leaves, expected):
    assert run_outcome(leaves) is expected
