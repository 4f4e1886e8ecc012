import random

import pytest

from cluster import compiler
from cluster.compiler import Arrive, Chain, Group, Run, compile_plan, render, tasks_in


def test_chain():
    plan = compile_plan({"a": [], "b": ["a"], "c": ["b"]})
    assert render(plan.start) == "chain(a, b, c)" and plan.series_parallel


def test_diamond_is_a_chord():
    plan = compile_plan({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    assert plan.start == Chain((Run("a"), Group((Run("b"), Run("c"))), Run("d")))


def test_nested_series_parallel():
    ups = {"s": [], "x1": ["s"], "x2": ["x1"], "y": ["s"], "j": ["x2", "y"], "k": ["j"], "m": ["j"]}
    assert render(compile_plan(ups).start) == "chain(s, group(chain(x1, x2), y), j, group(k, m))"


def test_independent_roots_form_a_group():
    assert render(compile_plan({"a": [], "b": []}).start) == "group(a, b)"


def test_transitive_edge_adds_nothing():
    assert render(compile_plan({"a": [], "b": ["a"], "c": ["a", "b"]}).start) == "chain(a, b, c)"


def test_non_series_parallel_keeps_exact_joins():
    plan = compile_plan({"a": [], "b": [], "c": ["a", "b"], "d": ["b"]})
    assert not plan.series_parallel
    # d follows b directly; c is launched by whichever of a and b finishes last.
    assert render(plan.start) == "group(chain(a, arrive(c)), chain(b, group(arrive(c), d)))"
    assert plan.joins == {"c": Run("c")}


def _ancestors(ups):
    memo = {}

    def anc(t):
        if t not in memo:
            memo[t] = set()
            for u in ups[t]:
                memo[t] |= {u} | anc(u)
        return memo[t]

    return {t: anc(t) for t in ups}


def _waits_for(plan, ups):
    """What each task waits for when the plan runs: the semantics of chain/group/arrive."""
    anc = _ancestors(ups)
    waits = {}

    def walk(node, before):
        if isinstance(node, Run):
            assert node.task_id not in waits, f"{node.task_id} launched twice"
            waits[node.task_id] = set(before)
            return before | {node.task_id}
        if isinstance(node, Arrive):
            return before
        if isinstance(node, Chain):
            for item in node.items:
                before = walk(item, before)
            return before
        out = set(before)
        for item in node.items:
            out |= walk(item, before)
        return out

    walk(plan.start, set())
    for join, node in plan.joins.items():
        walk(node, anc[join])  # a join fires once every upstream (hence ancestor) is final
    return waits


@pytest.mark.parametrize("segment", [64, 2])
@pytest.mark.parametrize("seed", range(60))
def test_random_dags_get_exactly_their_dependencies(seed, segment, monkeypatch):
    monkeypatch.setattr(compiler, "SEGMENT", segment)  # 2: long chains cut into arrivals
    rng = random.Random(seed)
    n = rng.randint(1, 25)
    names = [f"t{i}" for i in range(n)]
    ups = {t: sorted(rng.sample(names[:i], k=min(i, rng.choice([0, 1, 1, 2, 3])))) for i, t in enumerate(names)}
    plan = compile_plan(ups)
    launched = list(tasks_in(plan.start)) + [t for j in plan.joins.values() for t in tasks_in(j)]
    assert sorted(launched) == sorted(names)
    waits = _waits_for(plan, ups)
    anc = _ancestors(ups)
    for t in names:
        # no false edge (waits only for ancestors) and none missing (waits for all of them)
        assert waits[t] == anc[t], (t, render(plan.start), plan.joins)


def _longest_chain(node):
    if isinstance(node, (Run, Arrive)):
        return 0
    inner = max((_longest_chain(item) for item in node.items), default=0)
    return max(inner, len(node.items)) if isinstance(node, Chain) else inner


def test_ten_thousand_task_chain_compiles_into_bounded_messages():
    """A Celery chain's first message carries every later link: a long chain is cut into
    parts of at most SEGMENT tasks, each launched by an arrival at its first task."""
    ups = {f"t{i}": ([f"t{i - 1}"] if i else []) for i in range(10_000)}
    plan = compile_plan(ups)
    nodes = [plan.start, *plan.joins.values()]
    assert max(_longest_chain(n) for n in nodes) <= 100
    launched = [t for n in nodes for t in tasks_in(n)]
    assert sorted(launched) == sorted(ups)


def test_a_cut_chain_keeps_every_dependency():
    ups = {f"t{i}": ([f"t{i - 1}"] if i else []) for i in range(300)}
    ups["side"] = ["t10"]
    plan = compile_plan(ups)
    assert len(plan.joins) == 4
    assert _waits_for(plan, ups) == _ancestors(ups)
