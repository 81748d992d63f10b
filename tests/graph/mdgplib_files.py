"""Where the MDGPLIB subset is: ``bench/data/mdgplib`` inside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

MDGPLIB = Path(__file__).resolve().parents[2] / "bench" / "data" / "mdgplib"


def require_mdgplib() -> Path:
    """The MDGPLIB folder; fails (never skips) when a broken checkout lacks it."""
    if not (MDGPLIB / "REFERENCE.md").is_file():
        pytest.fail(f"MDGPLIB subset missing at {MDGPLIB}: the checkout is incomplete")
    return MDGPLIB


def instance_path(root: Path, name: str) -> Path:
    """``RanReal_n010_ss_01`` → ``root/RanReal/RanReal_n010_ss_01.txt``."""
    return root / name.split("_")[0] / f"{name}.txt"
