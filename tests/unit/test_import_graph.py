"""No import cycle among the project's modules (tests/ aside).

The graph is read from the source with `ast`, module by module: every `import` and
`from … import` counts, including those inside functions. Imports under `if TYPE_CHECKING:`
count too (a loop hidden there is still a loop in the design), except inside fakediscord,
whose route and helper modules name the server's type for annotations only; there only the
imports that run are checked. `python tests/unit/test_import_graph.py` prints the cycles of
both graphs.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {"tests", ".venv", ".git"}


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every .py file outside tests/ and the venv."""
    modules: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in SKIPPED or parts[0].startswith("."):
            continue
        dotted = list(parts[:-1]) + ([] if path.name == "__init__.py" else [path.stem])
        if dotted:
            modules[".".join(dotted)] = path
    return modules


def _type_checking_block(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith(
        "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST, *, typing_too: bool) -> Iterator[ast.AST]:
    """Every import statement, with or without those under `if TYPE_CHECKING:`."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        children = list(ast.iter_child_nodes(node))
        if not typing_too and _type_checking_block(node):
            children = [c for c in children if c not in node.body]  # type: ignore[attr-defined]
        pending.extend(children)


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names an import statement may load (a module, or a name inside one)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            yield f"{base}.{alias.name}"
        yield base


def import_graph(root: Path = ROOT, *, typing_too: bool = True) -> dict[str, set[str]]:
    """Module → the project modules it imports (with `typing_too`, also those imported only
    for type checking)."""
    modules = project_modules(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _import_nodes(tree, typing_too=typing_too):
            for target in _imported(node, name, is_package):
                if target in modules and target != name:
                    graph[name].add(target)
    # `from pkg import mod` names the module; also counting `pkg` for it would make every
    # package whose __init__ imports its modules look like a loop.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_checker_sees_a_loop(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    )
    (package / "c.py").write_text("def late():\n    import pkg.a\n")
    graph = import_graph(tmp_path)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
    assert cycles(import_graph(tmp_path, typing_too=False)) == []


def test_no_import_cycle_outside_tests() -> None:
    graph = import_graph()
    assert {"bot", "scheduler.engine", "cogs.delivery", "fakediscord.rest"} <= graph.keys()
    assert cycles(import_graph(typing_too=False)) == []
    outside_emulator = {
        name: {t for t in targets if not t.startswith("fakediscord")}
        for name, targets in graph.items()
        if not name.startswith("fakediscord")
    }
    assert cycles(outside_emulator) == []


if __name__ == "__main__":
    for typing_too in (False, True):
        print("with imports for type checking:" if typing_too else "imports that run:")
        for component in cycles(import_graph(typing_too=typing_too)):
            print("  " + " <-> ".join(component))
