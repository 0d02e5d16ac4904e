"""The layout holds: no import cycles (function-local imports included), no lower layer
importing a higher one, click only in the CLI, no module past its size."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "toolkit"
# Lower numbers are lower layers; a module may import its own layer or lower ones only.
LAYERS = {
    "errors": 0,
    "settings": 1,
    "urls": 1,
    "backends": 2,
    "lock": 2,
    "db": 3,
    "models": 3,
    "protect": 3,
    "seed": 3,
    "factories": 3,
    "migrations": 3,
    "makemigrations": 3,
    "commands": 4,
    "cli": 5,
    "clidocs": 5,
    "pytest_plugin": 5,
    "__main__": 5,
}
MAX_LINES = 420


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path, module: str) -> Iterator[str]:
    """Every module of the package `path` imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("toolkit") and name != module:
                yield name


GRAPH = {m: set(_imports(p, m)) for m, p in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in MODULES if m != "toolkit" and _layer(m) is None]
    assert unplaced == []


def test_no_import_cycles_even_through_function_local_imports() -> None:
    # A package's __init__ importing its own modules is how a package shows its surface.
    cycles = [c for c in _cycles() if not all(m.startswith(c[0]) for m in c)]
    assert cycles == []


def test_no_lower_layer_imports_a_higher_one() -> None:
    upward = [
        f"{m} -> {d}"
        for m, deps in GRAPH.items()
        for d in deps
        if (lm := _layer(m)) is not None and (ld := _layer(d)) is not None and ld > lm
    ]
    assert upward == []


def test_only_the_cli_imports_click() -> None:
    users = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if any(n == "click" or n.startswith("click.") for n in names):
                users.append(module)
    assert sorted(set(users)) == sorted({m for m in users if m.startswith("toolkit.cli")})
    assert users, "the CLI is built on click"


def test_no_module_is_too_long_to_read_in_one_sitting() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


MAX_FUNCTION_LINES = 65


def test_no_function_is_too_long_to_hold_in_mind() -> None:
    long = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{module}.{node.name}"] = lines
    assert long == {}
