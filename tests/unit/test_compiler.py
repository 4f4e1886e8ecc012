import random

import pytest

from cluster.planning import compiler
from cluster.planning.compiler import Arrive, Chain, Group, Run, compile_plan, render, tasks_in


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


def _hard_ancestors(ups, early=()):
    """What a task must wait for: its ancestors, except through an early join (which
    waits for none of its upstreams in the canvas: its arrivals decide at run time)."""
    memo = {}

    def anc(t):
        if t not in memo:
            memo[t] = set()
            if t not in early:
                for u in ups[t]:
                    memo[t] |= {u} | anc(u)
        return memo[t]

    return {t: anc(t) for t in ups}


def _waits_for(plan, ups, early=(), arrivals=None):
    """What each task waits for when the plan runs: the semantics of chain/group/arrive
    (`arrivals` collects, per join, what each of its arrivals waited for)."""
    anc = _hard_ancestors(ups, early)
    waits = {}

    def walk(node, before):
        if isinstance(node, Run):
            assert node.task_id not in waits, f"{node.task_id} launched twice"
            waits[node.task_id] = set(before)
            return before | {node.task_id}
        if isinstance(node, Arrive):
            if arrivals is not None:
                arrivals.setdefault(node.task_id, []).append(frozenset(before))
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


def test_early_join_in_a_series_parallel_dag_fires_from_each_upstream():
    ups = {"slow": [], "fast": [], "on_fail": ["slow", "fast"], "after": ["on_fail"]}
    plan = compile_plan(ups, early={"on_fail"})
    assert render(plan.start) == "group(chain(slow, arrive(on_fail)), chain(fast, arrive(on_fail)))"
    assert render(plan.joins["on_fail"]) == "chain(on_fail, after)"


@pytest.mark.parametrize("segment", [64, 2])
@pytest.mark.parametrize("seed", range(60))
def test_random_dags_with_early_joins_wait_for_nothing_else(seed, segment, monkeypatch):
    monkeypatch.setattr(compiler, "SEGMENT", segment)  # 2: long chains cut into arrivals
    rng = random.Random(1000 + seed)
    n = rng.randint(2, 25)
    names = [f"t{i}" for i in range(n)]
    ups = {t: sorted(rng.sample(names[:i], k=min(i, rng.choice([0, 1, 2, 2, 3])))) for i, t in enumerate(names)}
    early = {t for t in names if ups[t] and rng.random() < 0.3}
    plan = compile_plan(ups, early=early)
    launched = list(tasks_in(plan.start)) + [t for j in plan.joins.values() for t in tasks_in(j)]
    assert sorted(launched) == sorted(names)
    assert early <= set(plan.joins)
    arrivals = {}
    waits = _waits_for(plan, ups, early, arrivals)
    hard = _hard_ancestors(ups, early)
    for t in names:
        assert waits[t] == hard[t], (t, render(plan.start), plan.joins)
    for v in early:
        # each upstream's own arrival comes as soon as that upstream ends, not later
        got = sorted(arrivals.get(v, []), key=sorted)
        want = sorted((frozenset({u} | hard[u]) for u in ups[v]), key=sorted)
        assert got == want, (v, render(plan.start), plan.joins)


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
    anc = _hard_ancestors(ups)
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
    assert _waits_for(plan, ups) == _hard_ancestors(ups)
