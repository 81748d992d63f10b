"""Imports run one way: realtime → circles → graph."""

from __future__ import annotations

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
