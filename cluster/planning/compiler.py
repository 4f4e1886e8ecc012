"""Compile a DAG's dependency structure into a canvas plan (pure: no Celery, no SQL).

A DAG is turned into a two-terminal graph: every task `v` becomes an edge
`in:v -> out:v`, every dependency `u -> v` an edge `out:u -> in:v`, plus a source
`S` and a sink `T`. Series reductions (a vertex with one edge in and one out) and
parallel reductions (several edges between the same two vertices) are applied until
none is left. A series-parallel DAG reduces to one edge `S -> T` whose expression
is the exact chain/group nesting. Any other DAG keeps a few vertices `in:v` with
more than one incoming edge: those are joins. Each incoming path ends in an
`Arrive(v)`, and `v`'s continuation is launched by whichever arrival finds all of
`v`'s upstreams final. No task ever waits for anything it does not depend on.

Tasks whose trigger rule may fire before every upstream is final (`one_success`,
`one_failed`, `one_done`) are `early` joins: each upstream is followed by its own
`Arrive(v)`, and `v` is launched by the first arrival that finds its rule decided,
while the other upstreams still run.
"""
from __future__ import annotations

import dataclasses
import gc
from collections import defaultdict
from typing import Collection, Iterator, Mapping, Sequence, Union


@dataclasses.dataclass(frozen=True)
class Run:
    """Run one task instance."""

    task_id: str


@dataclasses.dataclass(frozen=True)
class Arrive:
    """Tell the join of `task_id` that one of its incoming paths has finished."""

    task_id: str


@dataclasses.dataclass(frozen=True)
class Chain:
    items: tuple["Node", ...]


@dataclasses.dataclass(frozen=True)
class Group:
    items: tuple["Node", ...]


Node = Union[Run, Arrive, Chain, Group]
EMPTY = Chain(())


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to send when a run starts, and what each join launches when it fires."""

    start: Node
    joins: Mapping[str, Node]

    @property
    def series_parallel(self) -> bool:
        return not self.joins


def seq(*nodes: Node) -> Node:
    """Chain of `nodes`, flattened, empty parts dropped."""
    items: list[Node] = []
    for node in nodes:
        if isinstance(node, Chain):
            items.extend(node.items)
        else:
            items.append(node)
    return items[0] if len(items) == 1 else Chain(tuple(items))


def par(*nodes: Node) -> Node:
    """Group of `nodes`, flattened, empty parts dropped (they finish at once)."""
    items: list[Node] = []
    for node in nodes:
        if isinstance(node, Group):
            items.extend(node.items)
        elif node != EMPTY:
            items.append(node)
    if not items:
        return EMPTY
    return items[0] if len(items) == 1 else Group(tuple(items))


def compile_plan(upstreams: Mapping[str, Sequence[str]], order: Sequence[str] | None = None,
                 early: Collection[str] = ()) -> Plan:
    """The canvas plan of a DAG given as task_id -> upstream task ids.

    `order` (a topological order) keeps the output stable and readable; by default
    the mapping's order is used. The tasks in `early` are launched by whichever upstream
    arrival decides them first (a join of the plan even in a series-parallel DAG).
    """
    # Compiling allocates tens of thousands of small objects and frees no cycles; the
    # cyclic collector's passes over them were a third of the time at 10k tasks.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _compile(upstreams, order, frozenset(early))
    finally:
        if enabled:
            gc.enable()


def _compile(upstreams: Mapping[str, Sequence[str]], order: Sequence[str] | None,
             early: frozenset[str]) -> Plan:
    graph = _Graph()
    tasks = list(order) if order is not None else list(upstreams)
    # Vertices are ints (cheaper than names at 10k tasks): task i enters at 2i and leaves
    # at 2i+1; S and T are the start and the end.
    index = {t: i for i, t in enumerate(tasks)}
    for i, t in enumerate(tasks):
        graph.add(2 * i, 2 * i + 1, Run(t))
    has_downstream = [False] * len(tasks)
    # An early join's upstreams each end at a sink of their own, whose continuation is an
    # arrival at the join (sinks are negative vertices, below S and T).
    arrival_at: dict[int, str] = {}
    early_joins: set[int] = set()
    for i, t in enumerate(tasks):
        ups = upstreams[t]
        if not ups:
            graph.add(_S, 2 * i, EMPTY)
        elif t in early:
            early_joins.add(2 * i)
        for u in ups:
            j = index[u]
            if t in early:
                sink = _T - 1 - len(arrival_at)
                arrival_at[sink] = t
                graph.add(2 * j + 1, sink, EMPTY)
            else:
                graph.add(2 * j + 1, 2 * i, EMPTY)
            has_downstream[j] = True
    for i in range(len(tasks)):
        if not has_downstream[i]:
            graph.add(2 * i + 1, _T, EMPTY)
    graph.reduce()

    joins = {v for v in graph.vertices() if v >= 0 and len(graph.ins[v]) > 1} | early_joins

    position = index
    for eid, (src, dst, expr) in list(graph.edges.items()):
        graph.edges[eid] = (src, dst, _flatten(expr, position))

    def continuation(vertex: int) -> Node:
        """What follows once `vertex` is reached by a path."""
        if vertex == _T:
            return EMPTY
        if vertex in arrival_at:
            return Arrive(arrival_at[vertex])
        if vertex in joins:
            return Arrive(tasks[vertex // 2])
        return launch(vertex)

    def launch(vertex: int) -> Node:
        """Everything that starts at `vertex`, in parallel."""
        branches = []
        for eid in graph.sorted_outs(vertex):
            src, dst, expr = graph.edges[eid]
            branches.append(seq(expr, continuation(dst)))
        return par(*sorted(branches, key=lambda n: _first(n, position)))

    plan_joins = {tasks[v // 2]: launch(v) for v in sorted(joins)}
    segmented: dict[str, Node] = {}
    start = _segment(launch(_S), segmented)
    for task_id, node in plan_joins.items():
        plan_joins[task_id] = _segment(node, segmented)
    plan_joins.update(segmented)
    return Plan(start=start, joins=plan_joins)


# A Celery chain's first message carries every later link, so an n-task chain would send
# O(n^2) bytes. Past this many links a chain ends in an arrival at its next task, whose
# continuation (the rest of the chain) is launched from the plan like any join's.
SEGMENT = 64


def _segment(node: Node, joins: dict[str, Node]) -> Node:
    """`node` with every chain longer than SEGMENT links cut into arrivals (added to `joins`)."""
    if isinstance(node, Group):
        return Group(tuple(_segment(item, joins) for item in node.items))
    if not isinstance(node, Chain):
        return node
    items = [_segment(item, joins) for item in node.items]
    heads: list[list[Node]] = [[]]
    for item in items:
        if len(heads[-1]) >= SEGMENT and isinstance(item, Run):
            heads.append([])
        heads[-1].append(item)
    if len(heads) == 1:
        return Chain(tuple(items))
    # Link each part to the next from the last one back, so each part is built once.
    follow: Node | None = None
    for part in reversed(heads[1:]):
        if follow is not None:
            part = part + [follow]
        first = part[0]
        assert isinstance(first, Run)
        joins[first.task_id] = seq(*part)
        follow = Arrive(first.task_id)
    return seq(*heads[0], follow)


_S, _T = -1, -2


class _Pair:
    """A lazy series (`kind == "s"`) or parallel (`"p"`) pair, flattened once at the end.

    Building flat tuples at every reduction would cost O(n^2) on long chains.
    """

    __slots__ = ("kind", "left", "right")

    def __init__(self, kind: str, left: object, right: object) -> None:
        self.kind, self.left, self.right = kind, left, right


def _flatten(root: object, position: Mapping[str, int]) -> Node:
    """Turn a tree of `_Pair`s into flat Chain/Group nodes, groups in topological order."""
    if not isinstance(root, _Pair):
        return root  # type: ignore[return-value]
    # Collect the whole run of same-kind pairs at once (iteratively: a 10k-task chain is
    # a 10k-deep tree), so each flat tuple is built once.
    parts: list[object] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _Pair) and node.kind == root.kind:
            stack.append(node.right)
            stack.append(node.left)
        else:
            parts.append(node)
    children = [_flatten(part, position) for part in parts]
    if root.kind == "s":
        return seq(*children)
    node = par(*children)
    if isinstance(node, Group):
        node = Group(tuple(sorted(node.items, key=lambda n: _first(n, position))))
    return node


def _first(node: Node, position: Mapping[str, int]) -> int:
    while isinstance(node, (Chain, Group)):
        if not node.items:
            return -1
        node = node.items[0] if isinstance(node, Chain) else min(
            node.items, key=lambda n: _first(n, position))
    return position.get(node.task_id, -1)


class _Graph:
    """A multigraph with expression-labelled edges, reduced in place."""

    def __init__(self) -> None:
        self.edges: dict[int, tuple[int, int, Node]] = {}
        self.ins: dict[int, set[int]] = defaultdict(set)
        self.outs: dict[int, set[int]] = defaultdict(set)
        self.pair: dict[tuple[int, int], int] = {}
        self._next = 0
        self._dirty: set[int] = set()

    def vertices(self) -> Iterator[int]:
        return iter({v for v, es in self.ins.items() if es} | {v for v, es in self.outs.items() if es})

    def sorted_outs(self, vertex: int) -> list[int]:
        return sorted(self.outs[vertex])

    def add(self, src: int, dst: int, expr: Node) -> None:
        existing = self.pair.get((src, dst))
        if existing is not None:  # parallel reduction on the fly
            self.edges[existing] = (src, dst, _Pair("p", self.edges[existing][2], expr))
        else:
            eid = self._next
            self._next = eid + 1
            self.edges[eid] = (src, dst, expr)
            self.outs[src].add(eid)
            self.ins[dst].add(eid)
            self.pair[(src, dst)] = eid
        dirty = self._dirty
        dirty.add(src)
        dirty.add(dst)

    def _remove(self, eid: int) -> tuple[int, int, Node]:
        src, dst, expr = self.edges.pop(eid)
        self.outs[src].discard(eid)
        self.ins[dst].discard(eid)
        del self.pair[(src, dst)]
        return src, dst, expr

    def reduce(self) -> None:
        """Series reductions until none is left (parallel ones happen in `add`)."""
        ins, outs, dirty = self.ins, self.outs, self._dirty
        work = list(dirty)
        dirty.clear()
        while work:
            x = work.pop()
            if x < 0:
                continue
            x_in, x_out = ins[x], outs[x]
            if len(x_in) != 1 or len(x_out) != 1:
                continue
            a, _, first = self._remove(next(iter(x_in)))
            _, b, second = self._remove(next(iter(x_out)))
            self.add(a, b, _Pair("s", first, second))
            work.append(a)
            work.append(b)
            dirty.clear()


def render(node: Node) -> str:
    """Celery-like text of a plan node, for tests and `chordflow dags show`."""
    if isinstance(node, Run):
        return node.task_id
    if isinstance(node, Arrive):
        return f"arrive({node.task_id})"
    if isinstance(node, Chain):
        return "chain(" + ", ".join(render(n) for n in node.items) + ")"
    return "group(" + ", ".join(render(n) for n in node.items) + ")"


def tasks_in(node: Node) -> Iterator[str]:
    if isinstance(node, Run):
        yield node.task_id
    elif isinstance(node, (Chain, Group)):
        for item in node.items:
            yield from tasks_in(item)
