"""The package's import structure: no import cycle (lazy imports and ``TYPE_CHECKING`` imports
included) and no import from a lower floor to a higher one. The floors, bottom to top:

1. ``document``, ``errors``, ``config`` (the one base of recipe sections), ``version``, ``site``;
2. ``normalise``, ``readers``, ``stats``, ``executors`` (a leaf: the warm-up target is handed in),
   ``native``, ``terminal``;
3. ``step`` (the step, aggregation and executor protocols, the line operations), ``writers``;
4. the families: ``extract``, ``identify``, ``quality``, ``pii``, ``dedup``, ``report``, each with
   its own ``config.py``;
5. ``recipe`` (assembles the families' sections);
6. ``runner`` (the pipeline, its phases and their runner, resume bookkeeping, the extract-only and
   evaluation drivers);
7. ``cli``, the package itself (its public API) and ``__main__``.

A module may import its own floor's modules and those below, never those above; within a floor the
imports must not form a cycle (the test below walks every ``import`` statement, wherever it is).
"""

from __future__ import annotations

import ast
from pathlib import Path

import gharbal

ROOT = Path(gharbal.__file__).parent

FLOORS: dict[str, int] = {
    "document": 1,
    "errors": 1,
    "config": 1,
    "version": 1,
    "site": 1,
    "normalise": 2,
    "readers": 2,
    "stats": 2,
    "executors": 2,
    "native": 2,
    "terminal": 2,
    "step": 3,
    "writers": 3,
    "extract": 4,
    "identify": 4,
    "quality": 4,
    "pii": 4,
    "dedup": 4,
    "report": 4,
    "recipe": 5,
    "runner": 6,
    "cli": 7,
    "__init__": 7,
    "__main__": 7,
}


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, package)
    return found


MODULES = _modules()


def _imports() -> dict[str, set[str]]:
    """Each module's gharbal modules it imports (a name imported from a package that is not a
    module of it counts as the package)."""
    edges: dict[str, set[str]] = {}
    for name, (path, package) in MODULES.items():
        here = name if package else name.rsplit(".", 1)[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.split(".")[0] == "gharbal")
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "gharbal":
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    out.add(full if full in MODULES else target)
        edges[name] = {m for m in out if m in MODULES and m != name}
    return edges


def floor(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    assert key in FLOORS, f"{module}: no floor; add it to FLOORS (and to this module's docstring)"
    return FLOORS[key]


def test_every_module_has_a_floor() -> None:
    for module in MODULES:
        floor(module)


def test_no_import_goes_up_a_floor() -> None:
    upward = sorted(
        f"{a} (floor {floor(a)}) imports {b} (floor {floor(b)})"
        for a, targets in _imports().items()
        for b in targets
        if floor(b) > floor(a)
    )
    assert upward == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
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
    return found


def test_no_import_cycle() -> None:
    assert _cycles(_imports()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
