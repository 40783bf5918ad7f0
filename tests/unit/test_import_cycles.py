"""No import cycle in chalicelib: the import graph, read from the source, has no loop.

Imports inside functions count too (a lazy import hides a cycle from Python, not from a reader);
imports under ``if TYPE_CHECKING:`` do not run and are left out. Importing ``a.b.c`` first runs
the ``__init__`` of ``a`` and of ``a.b``, so those packages count as imported too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules(root: Path) -> dict[str, tuple[Path, bool]]:
    found: dict[str, tuple[Path, bool]] = {}
    for path in (root / "chalicelib").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def imports_of(name: str, known: dict[str, tuple[Path, bool]]) -> set[str]:
    path, package = known[name]
    here = name if package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _running_statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    found.add(f"{module}.{alias.name}")
                elif module in known:
                    found.add(module)
    for target in list(found):
        parts = target.split(".")
        for depth in range(2, len(parts)):
            package = ".".join(parts[:depth])
            if package in known and not name.startswith(package + "."):
                found.add(package)
    found.discard(name)
    return found


def _running_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.extend(_running_statements(node.orelse))
            continue
        out.append(node)
        for _, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                out.extend(_running_statements(value))
            elif isinstance(value, list):
                for item in value:  # try/except handlers, match cases
                    if isinstance(item, ast.AST) and isinstance(getattr(item, "body", None), list):
                        out.extend(_running_statements(item.body))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_reader_finds_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "chalicelib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import x\n")
    (package / "b.py").write_text("def x():\n    from chalicelib.a import y\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n")
    known = modules(tmp_path)
    assert cycles({name: imports_of(name, known) for name in known}) == [["chalicelib.a", "chalicelib.b"]]


def test_the_reader_finds_a_cycle_through_a_package_init(tmp_path: Path) -> None:
    package = tmp_path / "chalicelib"
    (package / "tools").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tools" / "__init__.py").write_text("from chalicelib.tools.shell import run\n")
    (package / "tools" / "shell.py").write_text("from chalicelib.policy import check\n")
    (package / "tools" / "parse.py").write_text("")
    (package / "policy.py").write_text("from chalicelib.tools.parse import words\n")
    known = modules(tmp_path)
    assert cycles({name: imports_of(name, known) for name in known}) == [
        ["chalicelib.policy", "chalicelib.tools", "chalicelib.tools.shell"]
    ]


def test_chalicelib_has_no_import_cycle() -> None:
    known = modules(ROOT)
    graph = {name: imports_of(name, known) for name in known}
    assert cycles(graph) == []
