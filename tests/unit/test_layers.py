"""The import graph of `cluster` and `workers`, read with `ast` (imports inside functions
included), and the layer contracts it must keep."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cluster", "workers")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _owner(name: str, known: set[str]) -> str | None:
    """The longest known module `name` names (a module, or an attribute of one)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function, line) for every import statement of a module."""
    tree = ast.parse(path.read_text(), str(path))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: list[tuple[str, bool, int]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            if isinstance(child, ast.Import):
                targets = [_owner(alias.name, known) for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[:len(package) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                targets = [_owner(f"{module}.{alias.name}", known) for alias in child.names]
            else:
                walk(child, inner)
                continue
            for target in dict.fromkeys(t for t in targets if t and t != name):
                found.append((target, in_function, child.lineno))

    walk(tree, False)
    return found


def import_graph(root: Path = ROOT) -> dict[str, list[tuple[str, bool, int]]]:
    files = module_files(root)
    return {name: imports_of(name, path, set(files)) for name, path in files.items()}


def cycles(graph: dict[str, list[tuple[str, bool, int]]]) -> list[list[str]]:
    """The strongly connected components with more than one module, biggest first."""
    edges = {m: sorted({t for t, _, _ in imps}) for m, imps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:  # Tarjan's algorithm, iterative (the graph is deep)
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(edges.get(target, ()))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found, key=len, reverse=True)


def crossing(graph: dict[str, list[tuple[str, bool, int]]], source: str, target: str
             ) -> list[tuple[str, str, bool, int]]:
    """Import statements of package `source` that name a module of package `target`."""
    return [(m, t, inner, line) for m, imps in graph.items() for t, inner, line in imps
            if m.split(".")[0] == source and t.split(".")[0] == target]


def test_the_graph_covers_both_packages() -> None:
    graph = import_graph()
    assert "cluster.dag" in graph and "workers.execution" in graph
    assert ("cluster.dag", False) in {(t, inner) for t, inner, _ in graph["workers.runtime"]}
