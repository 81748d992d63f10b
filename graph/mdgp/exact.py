"""Exact MDGP by dynamic programming over subsets, for the small instances tests check."""

from __future__ import annotations

import numpy as np

from graph.errors import InfeasibleError


def subset_values(weights: np.ndarray) -> np.ndarray:
    """``values[S]`` = sum of ``weights[i, j]`` over pairs ``i < j`` in the bit set ``S``."""
    n = len(weights)
    values = np.zeros(1)
    for b in range(n):
        towards = np.zeros(1)
        for k in range(b):
            towards = np.concatenate([towards, towards + weights[b, k]])
        values = np.concatenate([values, values + towards])
    return values


def exact_assignment(weights: np.ndarray, bounds: list[tuple[int, int]]) -> list[list[int]]:
    """Optimal groups (``groups[g]`` within ``bounds[g]``) by DP over subsets, O(G·3^n)."""
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
