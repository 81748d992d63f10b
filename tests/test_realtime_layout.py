"""realtime/ reads like the anchors: its modules import each other without a cycle."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REALTIME = ROOT / "realtime"


def realtime_modules() -> dict[str, ast.Module]:
    """Every module of realtime/, parsed, by its dotted name."""
    return {("realtime" if path.stem == "__init__" else f"realtime.{path.stem}"):
            ast.parse(path.read_text(), filename=str(path))
            for path in sorted(REALTIME.glob("*.py"))}


def imported_modules(tree: ast.Module, modules: set[str]) -> set[str]:
    """The realtime modules ``tree`` imports, at the top or inside a function alike."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:  # ``from realtime import acks`` imports realtime.acks
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & modules


def test_realtime_modules_import_each_other_without_a_cycle() -> None:
    trees = realtime_modules()
    imports = {name: imported_modules(tree, set(trees)) - {name}
               for name, tree in trees.items() if name != "realtime"}
    # Only the package (init_app, the composition root) imports everything; no module
    # imports the package itself, which would close a cycle through it.
    assert [name for name, imported in imports.items() if "realtime" in imported] == []
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as cycle:  # args[1]: each module, then one that imports it
        pytest.fail("realtime modules import each other in a cycle: "
                    + " -> ".join(reversed(cycle.args[1])))
