"""The structure the domain layer promises: no import cycles in the product, and a domain
that imports nothing of Dash, Plotly, Bootstrap components or Flask (not even through the
modules it imports)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("dashboard", "etl")
UI = ("dash", "dash_bootstrap_components", "dash_ag_grid", "plotly", "flask", "werkzeug")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every product module and the modules it imports (at any depth of the file)."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = _module(path)
            found = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
                    found |= {f"{node.module}.{a.name}" for a in node.names}
            graph[name] = found
    return graph


def _internal(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: {i for i in imports if i in graph and i != m} for m, imports in graph.items()}


def test_no_import_cycles():
    graph = _internal(_imports())
    cycles = []

    def visit(node: str, path: list[str], done: set[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*path, nxt], done)
        done.add(node)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module], done)
    # a package's __init__ importing its own modules is not a cycle of the code
    cycles = [
        c
        for c in cycles
        if not any(a.startswith(b + ".") or b.startswith(a + ".") for a, b in itertools.pairwise(c))
    ]
    assert cycles == []


def test_the_domain_imports_no_ui():
    imports = _imports()
    internal = _internal(imports)
    domain = [m for m in imports if m.startswith("dashboard.domain")]
    reached, todo = set(), list(domain)
    while todo:
        module = todo.pop()
        if module in reached:
            continue
        reached.add(module)
        todo += internal[module]
    offending = {m: sorted(i for i in imports[m] if i.split(".")[0] in UI) for m in sorted(reached)}
    assert {m: i for m, i in offending.items() if i} == {}
    assert any(m.startswith("dashboard.pages") for m in imports)  # the scan saw the pages
