"""Exact MDGP by dynamic programming over subsets, for the small instances tests check."""

from __future__ import annotations

import numpy as np

from graph.errors import InfeasibleError

__all__ = ["exact_assignment", "subset_values"]


def subset_values(weights: np.ndarray) -> np.ndarray:
    """``values[S]`` = sum of ``weights[i, j]`` over pairs ``i < j`` in the bit set ``S``.

    Parameters
    ----------
    weights : ndarray
        n×n symmetric weights.

    Returns
    -------
    ndarray
        2^n values, indexed by subset bit mask.

    Examples
    --------
    >>> w = np.array([[0, 5, 1], [5, 0, 2], [1, 2, 0]], dtype=float)
    >>> subset_values(w).tolist()  # {}, {0}, {1}, {0, 1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}
    [0.0, 0.0, 0.0, 5.0, 0.0, 1.0, 2.0, 8.0]

    Notes
    -----
    O(2^n) time and memory.
    """
    n = len(weights)
    values = np.zeros(1)
    for b in range(n):
        towards = np.zeros(1)
        for k in range(b):
            towards = np.concatenate([towards, towards + weights[b, k]])
        values = np.concatenate([values, values + towards])
    return values


def exact_assignment(weights: np.ndarray, bounds: list[tuple[int, int]]) -> list[list[int]]:
    """Optimal groups (``groups[g]`` within ``bounds[g]``) by dynamic programming over subsets.

    Parameters
    ----------
    weights : ndarray
        n×n symmetric weights, n ≤ 16.
    bounds : list of (int, int)
        ``(min, max)`` size of each group.

    Returns
    -------
    list of lists of int
        ``groups[g]`` in increasing order.

    Raises
    ------
    InfeasibleError
        When n > 16, or the bounds cannot cover the n members.

    Examples
    --------
    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> exact_assignment(w, [(2, 2), (2, 2)])
    [[2, 3], [0, 1]]

    Notes
    -----
    O(G·3^n) time, O(G·2^n) memory.
    """
    n = len(weights)
    if n > 16:
        raise InfeasibleError(f"the exact solver handles at most 16 members, not {n}")
    values = subset_values(weights)
    masks = np.arange(1 << n, dtype=np.int64)
    count = np.array([int(m).bit_count() for m in masks]) if n else np.zeros(1, int)
    his = [hi for _, hi in bounds]
    los = [lo for lo, _ in bounds]
    tables = [np.where(masks == 0, 0.0, -np.inf)]
    for g, (lo, hi) in enumerate(bounds):
        before = tables[-1]
        reached = np.flatnonzero(np.isfinite(before))
        table = np.full(1 << n, -np.inf)
        if g == len(bounds) - 1:
            rest = (1 << n) - 1 ^ reached
            fits = (count[rest] >= lo) & (count[rest] <= hi)
            totals = before[reached[fits]] + values[rest[fits]]
            table[-1] = totals.max(initial=-np.inf)
            tables.append(table)
            break
        for subset in np.flatnonzero((count >= lo) & (count <= hi)):
            free = reached[(reached & subset) == 0]
            target = free | subset
            table[target] = np.maximum(table[target], before[free] + values[subset])
        placed_low = n - sum(his[g + 1:])
        placed_high = n - sum(los[g + 1:])
        table[(count < placed_low) | (count > placed_high)] = -np.inf
        tables.append(table)
    full = (1 << n) - 1
    if not np.isfinite(tables[-1][full]):
        raise InfeasibleError(f"the size bounds cannot cover {n} members")
    groups: list[list[int]] = []
    remaining = full
    for g in range(len(bounds) - 1, -1, -1):
        lo, hi = bounds[g]
        inside = masks[((masks & ~remaining) == 0) & (count >= lo) & (count <= hi)]
        totals = tables[g][remaining ^ inside] + values[inside]
        chosen = int(inside[np.argmax(totals)])
        groups.append([i for i in range(n) if chosen >> i & 1])
        remaining ^= chosen
    return groups[::-1]
