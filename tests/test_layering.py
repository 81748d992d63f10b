"""Imports run one way: realtime → circles → graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_graph_imports_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys, pkgutil, importlib, graph\n"
        "for m in pkgutil.walk_packages(graph.__path__, 'graph.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'circles', 'realtime', 'flask_sqlalchemy'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


def test_circles_domain_never_imports_realtime() -> None:
    """Only the composition root (circles/__init__.py) and HTTP edges may reach realtime/."""
    offenders = []
    for path in (ROOT / "circles").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "circles/__init__.py" or relative.startswith("circles/views/"):
            continue
        source = path.read_text()
        if "import realtime" in source or "from realtime" in source:
            offenders.append(relative)
    assert offenders == []


# Domain packages of circles/, lowest first: a package imports only packages of a lower rank
# (and models/ plus the infrastructure at the top of circles/), so no two packages import each
# other, directly or round a loop. Edges (views/, api/, realtime/) may import any of them.
RANKS: dict[str, int] = {
    "notify": 0,
    "members": 1,
    "sessions": 2,
    "communities": 3,
    "live": 4, "formation": 4, "network": 4, "growth": 4,
    "onboarding": 5,
    "demo": 6,
    "cli": 7,
}
EDGES = {"views", "api"}


def circles_imports(path: Path) -> set[str]:
    """The circles sub-packages or top-level modules ``path`` imports (first name after
    ``circles.``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "circles":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("circles."):
            found.add((node.module or "").split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("circles.")}
    return found


def package_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "circles").parts
    return parts[0] if len(parts) > 1 else path.stem


def test_every_domain_package_has_a_rank() -> None:
    packages = {p.name for p in (ROOT / "circles").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - EDGES - {"models"} == set(RANKS)


def offences(source: str, targets: set[str]) -> list[str]:
    """The imports of package ``source`` that break the ranks."""
    bad = []
    for target in sorted(targets - {source}):
        if source in RANKS and (target in EDGES or RANKS.get(target, -1) >= RANKS[source]):
            bad.append(target)
        if source == "models" and (target in RANKS or target in EDGES):
            bad.append(target)
    return bad


def test_domain_packages_import_only_lower_ones() -> None:
    offenders = [f"{path.relative_to(ROOT)} imports circles.{target}"
                 for path in sorted((ROOT / "circles").rglob("*.py"))
                 for target in offences(package_of(path), circles_imports(path))]
    assert offenders == []


def test_the_layering_rule_can_fail(tmp_path: Path) -> None:
    """A lower package importing a higher one, a sibling, or an edge is an offence."""
    stray = tmp_path / "stray.py"
    stray.write_text("from circles.formation.runs import start_run\nfrom circles import live\n"
                     "from circles.views import forms\nfrom circles.members import topics\n")
    assert circles_imports(stray) == {"formation", "live", "views", "members"}
    assert offences("network", circles_imports(stray)) == ["formation", "live", "views"]
    assert offences("models", circles_imports(stray)) == ["formation", "live", "members",
                                                          "views"]
    assert offences("cli", circles_imports(stray)) == ["views"]
