"""Compiled tabu search for MDGP with one-member nodes (numba).

The step of :func:`graph.mdgp_tabu.tabu_units` — value every swap and every one-move, take
the best non-tabu one (or a tabu one that beats the best seen) — is a pair of tight loops.
Compiled, a step costs microseconds instead of the ~0.3 ms numpy needs, so the same time
limit buys about a hundred times more search: that is what closes most of the gap to the
C++ solvers on MDGPLIB (``docs/benchmarks.md``).

``gain`` here is node-major (``gain[i, g]`` = sum of ``w[i, j]`` over ``j`` in group ``g``) so
the inner loop over partners reads one short row per node. numba caches the machine code
next to this file, so only the first run on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def gains_of(w: np.ndarray, assign: np.ndarray, groups: int) -> np.ndarray:
    """``gain[i, g]`` from scratch, O(m²)."""
    m = len(assign)
    gain = np.zeros((m, groups))
    for i in range(m):
        for j in range(m):
            if i != j:
                gain[i, assign[j]] += w[i, j]
    return gain


@njit(cache=True)
def _apply(w: np.ndarray, gain: np.ndarray, assign: np.ndarray, node: int, target: int) -> None:
    """Move ``node`` to group ``target``, updating every node's gain towards both groups."""
    source = assign[node]
    for i in range(len(assign)):
        gain[i, source] -= w[i, node]
        gain[i, target] += w[i, node]
    assign[node] = target


@njit(cache=True)
def tabu_steps(w: np.ndarray, lo: np.ndarray, hi: np.ndarray, assign: np.ndarray,
               load: np.ndarray, gain: np.ndarray, value: float, until: np.ndarray,
               best_assign: np.ndarray, best_value: float, step: int, since: int, stall: int,
               steps: int, tenure_low: int, tenure_high: int, eps: float, slack: bool,
               seed: int) -> tuple[float, float, int, int, bool]:
    """Run at most ``steps`` tabu steps (the caller checks the clock between calls).

    Arrays are updated in place; returns ``(value, best_value, step, since, stuck)`` where
    ``stuck`` means no move was possible at all. Ties between equally good moves go to the
    first found, so a seed and a step budget give one result.
    """
    np.random.seed(seed)
    m, groups = gain.shape
    own = np.empty(m)
    for _ in range(steps):
        if since >= stall:
            break
        step += 1
        aspire = best_value - value + eps
        for i in range(m):
            own[i] = gain[i, assign[i]]
        best_free, bi, bj = -np.inf, -1, -1  # best move whose nodes are not tabu
        best_any, ai, aj = -np.inf, -1, -1  # best move of any kind (for aspiration)
        for i in range(m):
            gi = assign[i]
            free_i = until[i] <= step
            row = gain[i]
            for j in range(i + 1, m):
                gj = assign[j]
                if gi == gj:
                    continue
                d = row[gj] - own[i] + gain[j, gi] - own[j] - 2.0 * w[i, j]
                if d > best_any:
                    best_any, ai, aj = d, i, j
                if d > best_free and free_i and until[j] <= step:
                    best_free, bi, bj = d, i, j
        if slack:  # one-moves (encoded as j = -1 - group)
            for i in range(m):
                gi = assign[i]
                if load[gi] - 1 < lo[gi]:
                    continue
                free_i = until[i] <= step
                for h in range(groups):
                    if h == gi or load[h] + 1 > hi[h]:
                        continue
                    d = gain[i, h] - own[i]
                    if d > best_any:
                        best_any, ai, aj = d, i, -1 - h
                    if d > best_free and free_i:
                        best_free, bi, bj = d, i, -1 - h
        if best_any > aspire:
            delta, i, j = best_any, ai, aj
        elif bi >= 0:
            delta, i, j = best_free, bi, bj
        else:
            return value, best_value, step, since, True
        if j >= 0:
            gi, gj = assign[i], assign[j]
            _apply(w, gain, assign, i, gj)
            _apply(w, gain, assign, j, gi)
            until[j] = step + np.random.randint(tenure_low, tenure_high + 1)
        else:
            target = -1 - j
            load[assign[i]] -= 1
            load[target] += 1
            _apply(w, gain, assign, i, target)
        until[i] = step + np.random.randint(tenure_low, tenure_high + 1)
        value += delta
        since += 1
        if value > best_value + eps:
            best_value = value
            best_assign[:] = assign
            since = 0
    return value, best_value, step, since, False
