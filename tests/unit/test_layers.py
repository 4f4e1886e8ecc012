"""The import graph of `cluster` and `workers`, read with `ast` (imports inside functions
included), and the layer contracts it must keep."""
from __future__ import annotations

import ast
import configparser
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


def _within(module: str, expressions: tuple[str, ...]) -> bool:
    return any(module == e or module.startswith(e + ".") for e in expressions)


def forbidden_chains(graph: dict[str, list[tuple[str, bool, int]]], sources: tuple[str, ...],
                     forbidden: tuple[str, ...], ignore: tuple[tuple[str, str], ...] = ()
                     ) -> dict[str, list[str]]:
    """For each source module (packages include their modules) that reaches a forbidden
    one, directly or through others, the shortest such chain; imports matching `ignore`
    ((importer, imported) expressions) are left out, as import-linter's ignore_imports."""
    edges = {m: sorted(t for t, _, _ in imps
                       if not any(_within(m, (a,)) and _within(t, (b,)) for a, b in ignore))
             for m, imps in graph.items()}
    broken: dict[str, list[str]] = {}
    for source in sorted(m for m in graph if _within(m, sources)):
        came_from: dict[str, str | None] = {source: None}
        queue = [source]
        while queue:
            node = queue.pop(0)
            if _within(node, forbidden):
                chain = [node]
                while came_from[chain[-1]] is not None:
                    chain.append(came_from[chain[-1]])  # type: ignore[arg-type]
                broken[source] = chain[::-1]
                break
            for target in edges.get(node, ()):
                if target not in came_from:
                    came_from[target] = node
                    queue.append(target)
    return broken


def contracts(root: Path = ROOT) -> dict[str, dict[str, tuple]]:
    """The contracts of setup.cfg's [importlinter] section (what `lint-imports` checks), by
    id, as forbidden-import checks: sources, forbidden modules, ignored imports. A layers
    contract becomes one check per layer (`<id>:<layer>`): a layer may import nothing of
    the layers above it."""
    parser = configparser.ConfigParser()
    parser.read(root / "setup.cfg")
    found = {}
    for section in parser.sections():
        if not section.startswith("importlinter:contract:"):
            continue
        fields = parser[section]

        def lines(name: str) -> tuple[str, ...]:
            return tuple(line.strip() for line in fields.get(name, "").splitlines()
                         if line.strip() and not line.strip().startswith("#"))

        ignore = tuple(tuple(part.strip().removesuffix(".**") for part in line.split("->"))
                       for line in lines("ignore_imports"))
        name = section.rpartition(":")[2]
        if fields["type"] == "layers":
            layers = lines("layers")
            for i, layer in enumerate(layers):
                found[f"{name}:{layer}"] = {"sources": (layer,), "forbidden": layers[:i],
                                            "ignore": ignore}
            continue
        assert fields["type"] == "forbidden", section
        found[name] = {"sources": lines("source_modules"), "forbidden": lines("forbidden_modules"),
                       "ignore": ignore}
    return found


def _broken(graph: dict[str, list[tuple[str, bool, int]]], contract: dict[str, tuple]
            ) -> dict[str, list[str]]:
    return forbidden_chains(graph, contract["sources"], contract["forbidden"],
                            contract["ignore"])


def test_cluster_does_not_import_workers_except_at_the_composition_point() -> None:
    """Dependencies point from workers to cluster. The one place that composes the two is
    the Celery app module (`celery -A cluster.celery_app:app`), with the embedded mode,
    which runs a worker in-process."""
    contract = contracts()["cluster-does-not-import-workers"]
    assert {importer for importer, _ in contract["ignore"]} == {
        "cluster.celery_app", "cluster.control.embedded"}
    assert _broken(import_graph(), contract) == {}


def test_authoring_knows_nothing_of_the_celery_app_or_the_workers() -> None:
    """What a DAG file imports (cluster.sdk: DAG, operators, sensors, params, templating,
    ...) imports nothing of the Celery app or the workers."""
    contract = contracts()["authoring-knows-no-control-plane"]
    assert contract["sources"] == ("cluster.sdk",)
    assert _broken(import_graph(), contract) == {}


LAYERS = ("cluster.cli", "cluster.web", "cluster.client", "cluster.control", "cluster.compat",
          "cluster.store", "cluster.planning", "cluster.sdk", "cluster.security")


def test_each_layer_imports_only_the_layers_below_it() -> None:
    """Front doors over the control plane, over the Airflow names, the store, planning,
    authoring and security; each exception is listed, with its reason, in setup.cfg."""
    found = {k.partition(":")[2]: c for k, c in contracts().items() if k.startswith("layers:")}
    assert tuple(found) == LAYERS
    assert len(found["cluster.sdk"]["ignore"]) <= 3
    graph = import_graph()
    for layer, contract in found.items():
        assert _broken(graph, contract) == {}, layer


def test_every_module_of_cluster_sits_in_a_layer_or_is_shared_vocabulary() -> None:
    """Besides the layers, cluster's top level holds only the composition point and what
    every layer shares (settings, errors, states, JSON values, time)."""
    shared = {"cluster", "cluster.celery_app", "cluster.celery_config", "cluster.redis_transport",
              "cluster.config", "cluster.errors", "cluster.states", "cluster.json_values",
              "cluster.timezones", "cluster.datetimes"}
    loose = {m for m in module_files() if m.startswith("cluster")
             and not any(m == layer or m.startswith(layer + ".") for layer in LAYERS)}
    assert loose == shared


def test_no_cycle_spans_two_packages_once_the_listed_exceptions_are_left_out() -> None:
    """Cycles stay inside one package (a DAG and its operators know each other, as in
    Airflow); none joins two layers, apart from the imports setup.cfg lists with reasons."""
    ignored = {pair for c in contracts().values() for pair in c["ignore"]}
    graph = {m: [(t, inner, line) for t, inner, line in imps
                 if not any(_within(m, (a,)) and _within(t, (b,)) for a, b in ignored)]
             for m, imps in import_graph().items()}

    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    for component in cycles(graph):
        assert len({package(m) for m in component}) == 1, component


def test_the_composition_point_stays_tiny() -> None:
    for importer, _ in contracts()["cluster-does-not-import-workers"]["ignore"]:
        assert len(module_files()[importer].read_text().splitlines()) < 100, importer


def test_the_contracts_catch_a_new_import_inside_a_function(tmp_path: Path) -> None:
    """The check sees what someone would add: `from workers import x` in a function of
    cluster/sdk/dag.py breaks the workers contract, and `from cluster.store import x`
    there breaks the authoring layer."""
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            copy = tmp_path / path.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(path.read_text())
    dag = tmp_path / "cluster" / "sdk" / "dag.py"
    dag.write_text(dag.read_text() + "\n\ndef _late():\n    from workers import tasks\n"
                   "    from cluster.store import runs\n")
    graph = import_graph(tmp_path)
    found = contracts()
    assert _broken(graph, found["cluster-does-not-import-workers"])["cluster.sdk.dag"] == [
        "cluster.sdk.dag", "workers.tasks"]
    assert "cluster.sdk.dag" in _broken(graph, found["authoring-knows-no-control-plane"])
    assert _broken(graph, found["layers:cluster.sdk"])["cluster.sdk.dag"] == [
        "cluster.sdk.dag", "cluster.store.runs"]


def test_no_cycle_spans_cluster_and_workers() -> None:
    for component in cycles(import_graph()):
        assert len({m.split(".")[0] for m in component}) == 1, component


def test_the_graph_covers_both_packages() -> None:
    graph = import_graph()
    assert "cluster.sdk.dag" in graph and "workers.execution" in graph
    assert ("cluster.sdk.dag", False) in {(t, inner) for t, inner, _ in graph["workers.runtime"]}
