"""Where the MDGPLIB subset is: ``shared/benchmarks/mdgplib`` beside the repository clone."""

from __future__ import annotations

from pathlib import Path

from tests.support.services import _missing

MDGPLIB = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "mdgplib"


def require_mdgplib() -> Path:
    """The MDGPLIB folder; skips (fails in CI) with the reason when it is absent."""
    if not (MDGPLIB / "REFERENCE.md").is_file():
        _missing(f"MDGPLIB subset not found at {MDGPLIB} (clone shared/ beside the repository)")
    return MDGPLIB


def instance_path(root: Path, name: str) -> Path:
    """``RanReal_n010_ss_01`` → ``root/RanReal/RanReal_n010_ss_01.txt``."""
    return root / name.split("_")[0] / f"{name}.txt"
