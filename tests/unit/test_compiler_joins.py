"""Each join of a compiled plan is launched from the plan itself: an arrival at it follows
every one of its upstreams (whichever ends last, its path arrives), and nothing else
launches it. Dropping arrive messages from the plan makes these fail."""
import random

import pytest

from cluster.planning.compiler import Arrive, Chain, Run, compile_plan, render


def _walk(node, before, arrivals, launched):
    """Run the plan node's semantics; record each arrival with what is final before it."""
    if isinstance(node, Run):
        launched.append(node.task_id)
        return before | {node.task_id}
    if isinstance(node, Arrive):
        arrivals.setdefault(node.task_id, []).append(set(before))
        return before
    if isinstance(node, Chain):
        for item in node.items:
            before = _walk(item, before, arrivals, launched)
        return before
    out = set(before)
    for item in node.items:
        out |= _walk(item, before, arrivals, launched)
    return out


def _ancestors(ups):
    memo = {}

    def anc(t):
        if t not in memo:
            memo[t] = set()
            for u in ups[t]:
                memo[t] |= {u} | anc(u)
        return memo[t]

    return {t: anc(t) for t in ups}


def check_joins(ups):
    plan = compile_plan(ups)
    anc = _ancestors(ups)
    arrivals, launched = {}, []
    _walk(plan.start, set(), arrivals, launched)
    fired, pending = set(), list(arrivals)
    while pending:  # a join fires when its last upstream's path arrives: once (fire_join)
        join = pending.pop()
        assert join in plan.joins, f"an arrival at {join}, which is not a join"
        if join not in fired:
            fired.add(join)
            _walk(plan.joins[join], anc[join], arrivals, launched)
            pending.extend(arrivals)
    shown = (render(plan.start), plan.joins)
    assert fired == set(plan.joins), ("joins never launched", set(plan.joins) - fired, shown)
    for join in plan.joins:
        covered = set().union(*arrivals[join])
        assert set(ups[join]) <= covered, (join, "no arrival after",
                                           set(ups[join]) - covered, shown)
    assert sorted(launched) == sorted(ups), ("each task launched once", shown)


def test_a_non_series_parallel_dag_launches_its_join_from_arrivals():
    check_joins({"a": [], "b": [], "c": ["a", "b"], "d": ["b"]})


@pytest.mark.parametrize("seed", range(60))
def test_random_dags_launch_each_join_exactly_once(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 25)
    names = [f"t{i}" for i in range(n)]
    ups = {t: sorted(rng.sample(names[:i], k=min(i, rng.choice([0, 1, 1, 2, 3]))))
           for i, t in enumerate(names)}
    check_joins(ups)
