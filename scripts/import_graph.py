"""The engine's import graph: its cycles, and its imports from a lower layer up to a higher one.

Run `python scripts/import_graph.py`; it prints "none" and exits 0 when the graph is clean,
otherwise each cycle and each upward import, and exits 1. Every import counts, also those inside
a function (a deferred import hides a cycle from the interpreter, not from a reader), except those
under `if TYPE_CHECKING:`, which never run.

The layers are declared once, in LAYERS below, lowest first: a module may import from its own
layer and the layers below it. A module belongs to the layer of the longest prefix listed that
names it (`engine.runs.paths` is in the layer listing `engine.runs`); a module no prefix names is
reported too, so a new package gets a layer when it is added.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENGINE = REPO / "engine"

# Lowest first. Each entry: the layer's name, and the module prefixes in it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "storage",  # files written atomically, append logs, the fence checked before every write
        (
            "engine.storage",
            "engine.core.errors",
            "engine.core.clock",
            "engine.core.utf8",
            "engine.core.coded",
            "engine.core.fingerprints",
            "engine.runs.fence",
            "engine.fleet.scripts",
            "engine.devin.untrusted",
        ),
    ),
    (
        "models",  # the data model and the declarations everything else reads
        (
            "engine.core",
            "engine.settings.run_settings",
            "engine.access.roles",
            "engine.devin.playbooks",
            "engine.execute.totals",
        ),
    ),
    ("run folder", ("engine.runs",)),  # the run folder's files, and `_shared/`
    (
        "domain",  # findings in, the ledger, policy, alerts, settings, the agent's API
        (
            "engine.settings",
            "engine.access",
            "engine.runs.reviews",
            "engine.scanners",
            "engine.ingest",
            "engine.ledger",
            "engine.policy",
            "engine.alerts",
            "engine.memory",
            "engine.devin",
            "engine.sample",
        ),
    ),
    (
        "read",  # what the app and the terminal show: figures, tables, run listings
        ("engine.analytics", "engine.cli.reporting"),
    ),
    (
        "launch",  # planning, preparing, starting, stopping and resuming runs, and running them
        (
            "engine.launch",
            "engine.execute",
            "engine.fleet",
            "engine.simulator",
            "engine.runs.validate",
            "engine.metrics",  # the engine serves its own figures; the exporter reads analytics
        ),
    ),
    (
        "cli",  # the command line
        (
            "engine.cli",
            "engine.ingest.command",
            "engine.fleet.cli",
            "engine.__main__",
            "engine",  # the package itself only: a prefix is never matched by the root alone
        ),
    ),
]


def module_name(path: Path, root: Path = ENGINE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def engine_modules(root: Path = ENGINE) -> dict[str, Path]:
    """Every module of the engine package (or another package folder `root`), by dotted name."""
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The engine modules `name` imports (a `from x import y` names module x.y when y is one)."""
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                package = _package_of(name, path).split(".")
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
            ]
        for target in targets:
            while target and target not in modules:  # `import engine.x.attr` style: the module part
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = ENGINE) -> dict[str, set[str]]:
    modules = engine_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the module's layer (longest matching prefix), None when unlisted."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            named = module == prefix or (prefix != "engine" and module.startswith(prefix + "."))
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative, so a deep graph cannot hit the recursion limit
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def upward_edges(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    edges = []
    for source, targets in sorted(graph.items()):
        source_layer = layer_of(source)
        for target in sorted(targets):
            target_layer = layer_of(target)
            if source_layer is not None and target_layer is not None and target_layer > source_layer:
                edges.append((source, target))
    return edges


def unassigned(graph: dict[str, set[str]]) -> list[str]:
    return sorted(name for name in graph if layer_of(name) is None)


def report(root: Path = ENGINE) -> list[str]:
    graph = import_graph(root)
    lines = []
    for component in cycles(graph):
        lines.append(f"cycle: {' <-> '.join(component)}")
    for source, target in upward_edges(graph):
        lines.append(
            f"upward: {source} ({LAYERS[layer_of(source) or 0][0]}) imports "
            f"{target} ({LAYERS[layer_of(target) or 0][0]})"
        )
    for name in unassigned(graph):
        lines.append(f"no layer: {name} (add its package to LAYERS in scripts/import_graph.py)")
    return lines


def main() -> int:
    lines = report()
    print("\n".join(lines) if lines else "none")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
