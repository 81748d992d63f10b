"""graph/ keeps the shape STYLE.md asks of it: short modules and functions, an ``__all__``
naming what each module offers, and numpydoc on every public function."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

GRAPH = Path(__file__).resolve().parents[2] / "graph"
MODULES = sorted(GRAPH.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50  # excluding the docstring; numba kernels (@njit) aside


def _name(path: Path) -> str:
    parts = path.relative_to(GRAPH.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


def _code_lines(function: ast.FunctionDef) -> int:
    total = (function.end_lineno or function.lineno) - function.lineno + 1
    if ast.get_docstring(function, clean=False) is not None:
        doc = function.body[0]
        total -= (doc.end_lineno or doc.lineno) - doc.lineno + 1
    return total


def _public(tree: ast.Module) -> list[ast.FunctionDef]:
    """Module-level public functions and public methods of public classes."""
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        if not cls.name.startswith("_"):
            found += [n for n in cls.body if isinstance(n, ast.FunctionDef)]
    return [f for f in found if not f.name.startswith("_")]


def test_the_rules_see_every_module() -> None:
    assert len(MODULES) > 30 and GRAPH / "plan" / "kernel.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_short_and_names_its_api(path: Path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES
    module = importlib.import_module(_name(path))
    assert isinstance(getattr(module, "__all__", None), list), "no __all__"
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_short(path: Path) -> None:
    long = [f"{f.name}: {_code_lines(f)} lines" for f in _functions(ast.parse(path.read_text()))
            if _code_lines(f) > MAX_FUNCTION_LINES
            and not any("njit" in ast.unparse(d) for d in f.decorator_list)]
    assert long == []


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_public_functions_have_numpydoc(path: Path) -> None:
    missing = []
    for function in _public(ast.parse(path.read_text())):
        doc = ast.get_docstring(function) or ""
        arguments = [a for a in function.args.args + function.args.kwonlyargs
                     if a.arg not in ("self", "cls")]
        returns = function.returns is not None and ast.unparse(function.returns) != "None"
        for section, needed in (("Parameters", arguments), ("Returns", returns)):
            if needed and f"\n{section}\n" not in f"\n{doc}":
                missing.append(f"{function.name}: {section}")
    assert missing == []
