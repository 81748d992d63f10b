"""A simple baseline for :func:`graph.plan.plan_circles`: each member, in random order, into
the group where they add most (same objective and rules, round after round)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

from graph.plan.coverage import diminishing_returns, topic_lists
from graph.plan.rules import Pair, Rounds, check_bounds, columns, pair_matrix, symmetric_weights

__all__ = ["greedy_plan"]


def greedy_plan(weights: np.ndarray, bounds: list[Pair], rounds: int = 1, *,
                needs: Sequence[Mapping[Hashable, float]] | None = None,
                gives: Sequence[Iterable[Hashable]] | None = None,
                windows: np.ndarray | None = None, forbidden: Iterable[Pair] = (),
                met: Iterable[Pair] = (), cover_weight: float = 1.0, returns: float = 0.25,
                seed: int | None = None) -> Rounds:
    """A simple baseline: members in random order, each into the group where they add most.

    Same objective and rules as :func:`graph.plan.plan_circles` (a rule break costs more
    than any gain), round after round; groups below their minimum are filled first when the
    members left are just enough for them.

    Parameters
    ----------
    weights : ndarray
        n×n pair utilities (symmetrised; the diagonal is ignored).
    bounds : list of (int, int)
        ``(min, max)`` size of each group, the same in every round.
    rounds : int
        Rounds to plan, one after the other; pairs who met in one avoid each other later.
    needs, gives, windows, forbidden, met, cover_weight, returns
        As for :func:`graph.plan.plan_circles`.
    seed : int, optional
        Seed for the order in which members are placed.

    Returns
    -------
    list of rounds of groups
        ``plan[r][g]`` lists group g's members in round r, sorted.

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold the members or a pair is out of range.
    ValueError
        When the weights, needs or gives are malformed.

    Examples
    --------
    >>> plan = greedy_plan(np.ones((4, 4)), [(2, 2), (2, 2)], forbidden=[(0, 1), (2, 3)], seed=0)
    >>> [sorted(len(set(g) & pair) for g in plan[0]) for pair in ({0, 1}, {2, 3})]
    [[1, 1], [1, 1]]

    Notes
    -----
    O(R·n·(n + G·(T + U))) for T topics and U window columns.
    """
    w = symmetric_weights(weights)
    n = len(w)
    check_bounds(n, bounds)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    topics = topic_lists(n, needs, gives)
    ret = diminishing_returns(returns, int(hi.max()))
    cols = columns(windows).astype(bool) if windows is not None else None
    hard = pair_matrix(n, forbidden, "forbidden").astype(float)
    seen = pair_matrix(n, met, "met").astype(float)
    rng = np.random.default_rng(seed)
    big = 4.0 * (float(np.abs(w).sum(axis=1).max()) + cover_weight * float(topics[3].sum()) + 1)
    plan: Rounds = []
    for _ in range(rounds):
        found = _greedy_round(w, lo, hi, topics, ret, cols, hard, seen, cover_weight, big, rng)
        for group in found:
            seen[np.ix_(group, group)] = 1.0
        np.fill_diagonal(seen, 0.0)
        plan.append(found)
    return plan


def _greedy_round(w: np.ndarray, lo: np.ndarray, hi: np.ndarray, topics: tuple[np.ndarray, ...],
                  ret: np.ndarray, cols: np.ndarray | None, hard: np.ndarray, seen: np.ndarray,
                  cover_weight: float, big: float, rng: np.random.Generator) -> list[list[int]]:
    tp, tt, ts, tc, count = topics
    n, groups = len(w), len(lo)
    gain = np.zeros((groups, n))  # pair utility, less rule breaks, towards each group
    sup = np.zeros((groups, int(count)), dtype=np.int64)
    dn = np.zeros((groups, int(count)))
    ds = np.zeros((groups, int(count)))
    common = None if cols is None else np.ones((groups, cols.shape[1]), dtype=bool)
    load = np.zeros(groups, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(groups)]
    for placed, i in enumerate(rng.permutation(n)):
        value = gain[:, i].copy()
        for p in range(tp[i], tp[i + 1]):
            t, gives, c = tt[p], int(ts[p]), tc[p]
            k = sup[:, t]
            before = dn[:, t] * ret[k] + ds[:, t] * np.where(k >= 1, ret[np.maximum(k - 1, 0)], 0)
            k2 = k + gives
            a, b = dn[:, t] + (1 - gives) * c, ds[:, t] + gives * c
            after = a * ret[k2] + b * np.where(k2 >= 1, ret[np.maximum(k2 - 1, 0)], 0)
            value += cover_weight * (after - before)
        if common is not None and cols is not None:
            value -= big * ~(common & cols[i]).any(axis=1)
        value += 1e-9 * (hi - load)  # equal value: the emptier group, to keep room elsewhere
        open_ = load < hi
        deficit = np.maximum(lo - load, 0)
        if deficit.sum() >= n - placed:
            open_ &= deficit > 0
        g = int(np.flatnonzero(open_)[np.argmax(value[open_])])
        members[g].append(int(i))
        load[g] += 1
        gain[g] += w[i] - big * (100 * hard[i] + seen[i])
        for p in range(tp[i], tp[i + 1]):
            sup[g, tt[p]] += int(ts[p])
            (ds if ts[p] else dn)[g, tt[p]] += tc[p]
        if common is not None and cols is not None:
            common[g] &= cols[i]
    return [sorted(group) for group in members]
