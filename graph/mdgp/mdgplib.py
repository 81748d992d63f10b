"""Reading instances of MDGPLIB, the standard benchmark library of the MDGP.

Format: a header ``<n> <G> <ss|ds> a_1 b_1 ... a_G b_G`` then one line ``i j d_ij`` per
unordered pair (0-based, ``i < j``); pairs that are absent weigh 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graph.errors import FormatError

__all__ = ["Instance", "read_instance", "reference_optima"]


@dataclass(frozen=True)
class Instance:
    """One MDGP instance: ``n`` items, symmetric ``weights`` and per-group size ``bounds``."""

    n: int
    weights: np.ndarray
    bounds: list[tuple[int, int]]
    name: str


def _ints(words: list[str], line: int, what: str, whole: list[str] | None = None) -> list[int]:
    try:
        return [int(word) for word in words]
    except ValueError:
        shown = " ".join(whole if whole is not None else words)
        raise FormatError(f"line {line}: expected {what}, got {shown!r}") from None


def _header(words: list[str]) -> tuple[int, list[tuple[int, int]]]:
    expected = "'<n> <G> <ss|ds> a_1 b_1 ... a_G b_G'"
    if len(words) < 3 or words[2] not in ("ss", "ds"):
        raise FormatError(f"line 1: expected {expected}, got {' '.join(words)!r}")
    n, groups = _ints(words[:2], 1, expected, words)
    sizes = _ints(words[3:], 1, expected, words)
    if n < 1 or groups < 1 or len(sizes) != 2 * groups:
        raise FormatError(
            f"line 1: expected n ≥ 1, G ≥ 1 and 2·G = {2 * groups} size bounds, "
            f"got n={n}, G={groups} and {len(sizes)} bounds"
        )
    bounds = list(zip(sizes[::2], sizes[1::2]))
    for g, (lo, hi) in enumerate(bounds, start=1):
        if not 0 <= lo <= hi:
            raise FormatError(f"line 1: group {g} has bounds {lo} {hi}, expected 0 ≤ a ≤ b")
    if sum(lo for lo, _ in bounds) > n or sum(hi for _, hi in bounds) < n:
        raise FormatError(f"line 1: the size bounds cannot cover n = {n} items")
    return n, bounds


def _pair(words: list[str], line: int, n: int) -> tuple[int, int, float]:
    expected = "'i j d_ij'"
    if len(words) != 3:
        raise FormatError(f"line {line}: expected {expected}, got {' '.join(words)!r}")
    i, j = _ints(words[:2], line, expected, words)
    try:
        value = float(words[2])
    except ValueError:
        raise FormatError(f"line {line}: expected a number for d_ij, got {words[2]!r}") from None
    if not (0 <= i < n and 0 <= j < n) or i == j or not np.isfinite(value):
        raise FormatError(
            f"line {line}: expected distinct items in 0..{n - 1} and a finite d_ij, "
            f"got {' '.join(words)!r}"
        )
    return i, j, value


def read_instance(source: str | Path, *, name: str | None = None) -> Instance:
    """Read an MDGPLIB instance from a path or from the file's text.

    Parameters
    ----------
    source : str or Path
        A path to an existing file, or the instance text itself (anything with a newline).
    name : str, optional
        Instance name; defaults to the file stem (or ``"instance"`` for text).

    Returns
    -------
    Instance

    Raises
    ------
    FormatError
        On a malformed header or pair line, with the 1-based line number.

    Examples
    --------
    >>> inst = read_instance("3 1 ss 3 3\\n0 1 2.5\\n0 2 1\\n1 2 4\\n")
    >>> inst.n, inst.bounds, float(inst.weights[2, 1])
    (3, [(3, 3)], 4.0)
    >>> read_instance("3 1 ss 3 3\\n0 1\\n")
    Traceback (most recent call last):
    ...
    graph.errors.FormatError: line 2: expected 'i j d_ij', got '0 1'

    Notes
    -----
    O(n²) time and memory.
    """
    if isinstance(source, Path) or "\n" not in source:
        path = Path(source)
        text, default = path.read_text(), path.stem
    else:
        text, default = source, "instance"
    lines = text.splitlines()
    if not lines or not lines[0].split():
        raise FormatError("line 1: expected '<n> <G> <ss|ds> a_1 b_1 ... a_G b_G', got an empty line")
    n, bounds = _header(lines[0].split())
    weights = np.zeros((n, n))
    for number, line in enumerate(lines[1:], start=2):
        words = line.split()
        if words:
            i, j, value = _pair(words, number, n)
            weights[i, j] = weights[j, i] = value
    return Instance(n=n, weights=weights, bounds=bounds, name=name or default)


def reference_optima(text: str) -> dict[str, float]:
    """Instance name → exact optimum, from the n = 10/12 table of MDGPLIB's ``REFERENCE.md``.

    Parameters
    ----------
    text : str
        The markdown: a header row ``| id | RanReal n010 ss | ... |`` then rows ``| 01 | ... |``.

    Returns
    -------
    dict of str to float
        Keys like ``"RanReal_n010_ss_01"``.

    Raises
    ------
    FormatError
        When no such table is found.

    Examples
    --------
    >>> reference_optima("| id | Geo n010 ds |\\n|---|---|\\n| 01 | 3864.689 |\\n")
    {'Geo_n010_ds_01': 3864.689}

    Notes
    -----
    O(length of the text).
    """
    columns: list[str] = []
    optima: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "id":
            columns = ["_".join(cell.split()) for cell in cells[1:]]
        elif columns and cells[0].isdigit():
            if len(cells) != len(columns) + 1:
                raise FormatError(f"line {number}: expected {len(columns) + 1} cells")
            for column, cell in zip(columns, cells[1:]):
                optima[f"{column}_{cells[0]}"] = float(cell)
    if not optima:
        raise FormatError("no table with an '| id |' header row and numbered rows found")
    return optima
