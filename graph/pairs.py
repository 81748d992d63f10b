"""Pairs: a maximum-weight matching of members on their pair utilities.

Up to ``EXACT_LIMIT`` members the matching is exact (networkx's blossom algorithm) on a
candidate graph: each member's ``candidates`` best partners plus a few random ones, so a
perfect matching exists. networkx's pure-Python blossom takes ~7 s at 500 members and ~30 s
at 1,000 on our machine, so larger cohorts use a greedy matching on the same sparse graph
improved by 2-opt exchanges (re-pair (a, b), (c, d) as (a, c), (b, d) when that gains).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np

from graph.errors import InfeasibleError

__all__ = ["EXACT_LIMIT", "pair_up"]

EXACT_LIMIT = 400
RANDOM_EXTRAS = 3


def _candidates(weights: np.ndarray, k: int, banned: set[tuple[int, int]],
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Candidate edges (a, c) with a < c: each member's top-k partners plus random extras."""
    n = len(weights)
    k = min(k, n - 1)
    rows, cols = [], []
    for start in range(0, n, 512):
        block = np.array(weights[start:start + 512], dtype=float)
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
        for a, c in banned:
            for x, y in ((a, c), (c, a)):
                if start <= x < start + len(block):
                    block[x - start, y] = -np.inf
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        rows.append(np.repeat(np.arange(start, start + len(block)), k))
        cols.append(top.ravel())
    extra = min(RANDOM_EXTRAS, n - 1)
    rows.append(np.repeat(np.arange(n), extra))
    cols.append(rng.integers(0, n, n * extra))
    first, second = np.concatenate(rows), np.concatenate(cols)
    lo, hi = np.minimum(first, second), np.maximum(first, second)
    keep = lo != hi
    edges = np.unique(np.stack([lo[keep], hi[keep]], axis=1), axis=0)
    if banned:
        edges = np.array([e for e in edges.tolist() if tuple(e) not in banned], dtype=np.int64)
    return edges[:, 0], edges[:, 1]


def _exact(weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    values = (weights[lo, hi] + weights[hi, lo]) / 2
    shift = 1.0 - float(values.min(initial=0.0))  # positive weights; same optimum per size
    graph = nx.Graph()
    graph.add_nodes_from(range(len(weights)))
    graph.add_weighted_edges_from(zip(lo.tolist(), hi.tolist(), (values + shift).tolist()))
    mate = np.full(len(weights), -1)
    for a, b in nx.max_weight_matching(graph, maxcardinality=True):
        mate[a], mate[b] = b, a
    return mate


def _greedy(weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    values = (weights[lo, hi] + weights[hi, lo]) / 2
    mate = np.full(len(weights), -1)
    for e in np.argsort(-values, kind="stable").tolist():
        a, b = int(lo[e]), int(hi[e])
        if mate[a] < 0 and mate[b] < 0:
            mate[a], mate[b] = b, a
    return mate


def _two_opt(weights: np.ndarray, mate: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             banned: set[tuple[int, int]], passes: int = 20) -> None:
    """Re-pair (a, b), (c, d) → (a, c), (b, d) along candidate edges while that gains."""
    w = weights
    for _ in range(passes):
        a, c = np.concatenate([lo, hi]), np.concatenate([hi, lo])
        b, d = mate[a], mate[c]
        ok = (b >= 0) & (d >= 0) & (b != c)
        a, c, b, d = a[ok], c[ok], b[ok], d[ok]
        gain = w[a, c] + w[b, d] - w[a, b] - w[c, d]
        order = np.argsort(-gain, kind="stable")
        order = order[gain[order] > 1e-9]
        touched = np.zeros(len(mate), dtype=bool)
        changed = 0
        for i in order.tolist():
            x, y, p, q = int(a[i]), int(c[i]), int(b[i]), int(d[i])
            if touched[[x, y, p, q]].any() or (min(p, q), max(p, q)) in banned:
                continue
            mate[x], mate[y], mate[p], mate[q] = y, x, q, p
            touched[[x, y, p, q]] = True
            changed += 1
        if not changed:
            return


def _place_leftovers(weights: np.ndarray, mate: np.ndarray,
                     banned: set[tuple[int, int]]) -> list[list[int]]:
    """Pairs from ``mate``; unmatched members pair up among themselves, a last one joins the
    pair it adds most to (a trio)."""
    pairs = [[a, int(b)] for a, b in enumerate(mate.tolist()) if a < b]
    single = [a for a in range(len(mate)) if mate[a] < 0]
    alone: list[int] = []
    while single:
        a = single.pop(0)
        options = [b for b in single if (min(a, b), max(a, b)) not in banned]
        if not options:
            alone.append(a)
            continue
        b = max(options, key=lambda x: float(weights[a, x]))
        single.remove(b)
        pairs.append([a, b])
    for a in alone:
        fits = [p for p in pairs if len(p) == 2
                and all((min(a, x), max(a, x)) not in banned for x in p)]
        if not fits:
            raise InfeasibleError(f"member {a} cannot be paired: every partner is forbidden")
        best = max(fits, key=lambda p: float(weights[a, p[0]] + weights[a, p[1]]))
        best.append(a)
    return sorted(sorted(p) for p in pairs)


def pair_up(weights: np.ndarray, *, forbidden: Iterable[tuple[int, int]] = (),
            seed: int | None = None, candidates: int | None = None) -> list[list[int]]:
    """Pair members to maximise the total utility of the pairs.

    Parameters
    ----------
    weights : ndarray
        n×n symmetric pair utilities (float32 is fine for large n); diagonal ignored.
    forbidden : iterable of (int, int)
        Pairs that must never be together.
    seed : int or None
        Seeds the random extra candidate partners.
    candidates : int or None
        Best partners kept per member (default 30).

    Returns
    -------
    list of list of int
        Sorted pairs; with odd n one trio (the leftover joins the pair it adds most to).

    Raises
    ------
    InfeasibleError
        Fewer than 2 members, or forbidden pairs leave someone with no possible partner.

    Examples
    --------
    >>> w = np.array([[0, 9, 1, 1], [9, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], float)
    >>> pair_up(w)
    [[0, 1], [2, 3]]

    Notes
    -----
    O(n² ) to pick candidates; exact matching O(n·m·log n) on m ≈ (k+3)·n candidate edges
    for n ≤ 400; above that greedy O(m log m) plus 2-opt passes of O(m).
    """
    n = len(weights)
    if n < 2:
        raise InfeasibleError(f"{n} member{'s' if n != 1 else ''}: nothing to pair")
    banned = {(min(a, b), max(a, b)) for a, b in forbidden}
    rng = np.random.default_rng(seed)
    lo, hi = _candidates(weights, candidates or 30, banned, rng)
    if n <= EXACT_LIMIT:
        mate = _exact(weights, lo, hi)
    else:
        mate = _greedy(weights, lo, hi)
        _two_opt(weights, mate, lo, hi, banned)
    return _place_leftovers(weights, mate, banned)
