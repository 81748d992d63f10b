"""realtime/ reads like the anchors: no import cycle, every event a client emits registered
by name in one visible place, short modules and functions (docs/realtime.md, "Server
structure")."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path
from typing import Any

import pytest

from circles import create_app
from tests.conftest import app_config

ROOT = Path(__file__).resolve().parents[2]
REALTIME = ROOT / "realtime"
#: Where handlers are registered: ``register_handlers`` in ``realtime/__init__.py``.
REGISTRY = REALTIME / "__init__.py"
#: The reference client registers handlers of its own, on its client socket.
CLIENT = REALTIME / "client.py"
REGISTERING = {"on", "on_event", "on_error", "on_error_default", "on_namespace", "event"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


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


def registrations(tree: ast.AST) -> list[ast.expr]:
    """What registers a Socket.IO handler: a call ``x.on_event(...)``, ``@x.on("event")``
    or a bare decorator ``@x.on_error_default``."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in REGISTERING:
            found.append(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [decorator for decorator in node.decorator_list
                      if isinstance(decorator, ast.Attribute) and decorator.attr in REGISTERING]
    return found


def test_handlers_are_registered_in_one_visible_place() -> None:
    elsewhere = [f"{path.relative_to(ROOT)}:{call.lineno}"
                 for path in sorted(REALTIME.glob("*.py")) if path not in (REGISTRY, CLIENT)
                 for call in registrations(ast.parse(path.read_text()))]
    assert elsewhere == []
    registry = ast.parse(REGISTRY.read_text())
    places = {node.name for node in ast.walk(registry)
              if isinstance(node, ast.FunctionDef) and registrations(node)}
    assert places == {"register_handlers"}


def client_events_in_static() -> set[str]:
    """Events the browser's scripts emit (``emit("x"``, or through ``call``/``request``)."""
    emitted: set[str] = set()
    for path in (ROOT / "static").rglob("*.js"):
        emitted |= set(re.findall(r'\b(?:emit|call|request)\(\s*"([\w:]+)"', path.read_text()))
    return emitted


def client_events_in_docs() -> set[str]:
    """Events docs/realtime.md documents a client emitting: ``whoami`` and the table of
    "Client → server events"."""
    text = (ROOT / "docs" / "realtime.md").read_text()
    section = text.split("## Client → server events", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([\w:]+)` \|", section, flags=re.MULTILINE))
    documented |= set(re.findall(r"^- `(\w+)` \(no payload\)", text, flags=re.MULTILINE))
    return documented


def registered_events(tmp_path: Any) -> set[str]:
    app = create_app(app_config("sqlite", tmp_path))
    handlers: dict[str, Any] = app.extensions["socketio"].server.handlers["/"]
    return set(handlers)


def test_every_event_a_client_emits_is_registered(tmp_path: Path) -> None:
    in_static, in_docs = client_events_in_static(), client_events_in_docs()
    # The parsing above found the events (a test that finds none proves nothing).
    assert {"whoami", "live:join", "live:events", "live:agenda_add"} <= in_static
    assert {"whoami", "live:join", "live:leave", "live:take_back"} <= in_docs
    registered = registered_events(tmp_path)
    assert in_static - registered == set()
    assert in_docs - registered == set()
    # And every event the server answers is documented (connect and disconnect aside).
    assert registered - in_docs == {"connect", "disconnect"}


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function, its docstring excluded."""
    lines = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        lines -= (first.end_lineno or first.lineno) - first.lineno + 1
    return lines


def test_realtime_modules_and_functions_stay_short() -> None:
    long_modules, long_functions = [], []
    for path in sorted(REALTIME.glob("*.py")):
        source = path.read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(path.name)
        long_functions += [f"{path.name}:{node.name}" for node in ast.walk(ast.parse(source))
                           if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                           and function_lines(node) > MAX_FUNCTION_LINES]
    assert (long_modules, long_functions) == ([], [])
