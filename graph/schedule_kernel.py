"""Compiled steps of the multi-round swap tabu search in :mod:`graph.schedule` (numba).

State: ``group_of[w, p]`` (group of member p in round w) and the meet-count matrix ``meets``
(prior meetings plus this schedule). A move swaps two members of different groups in one
round; its cost change is read from per-round sums (``removal`` = what a member's current
group costs it, ``added[p, g]`` = what joining group g would), rebuilt for each step in
O(W·n²) — microseconds at golfer sizes, where numpy took a fraction of a millisecond.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["count_meets", "schedule_cost", "schedule_steps"]


@njit(cache=True)
def count_meets(group_of: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """``prior`` plus, for every pair, the rounds in which they share a group.

    Parameters
    ----------
    group_of : ndarray of int64
        rounds × n: each member's group in each round.
    prior : ndarray
        n×n meetings before the schedule.

    Returns
    -------
    ndarray
        n×n meeting counts (a new array).

    Examples
    --------
    >>> count_meets(np.array([[0, 0, 1], [0, 1, 1]]), np.zeros((3, 3))).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]

    Notes
    -----
    O(W·n²).
    """
    rounds, n = group_of.shape
    meets = prior.copy()
    for w in range(rounds):
        for a in range(n):
            for b in range(a + 1, n):
                if group_of[w, a] == group_of[w, b]:
                    meets[a, b] += 1.0
                    meets[b, a] += 1.0
    return meets


@njit(cache=True)
def schedule_cost(group_of: np.ndarray, meets: np.ndarray, util: np.ndarray, penalty: float,
                  repeats: bool) -> float:
    """``penalty × Σ_pairs f(meets) − utility of pairs sharing a group`` (lower is better).

    Parameters
    ----------
    group_of : ndarray of int64
        rounds × n: each member's group in each round.
    meets : ndarray
        n×n meeting counts (:func:`count_meets`).
    util : ndarray
        n×n pair utilities.
    penalty : float
        Weight of the meeting term.
    repeats : bool
        f(m) = max(0, m − 1) (repeated meetings) if True, else m².

    Returns
    -------
    float

    Examples
    --------
    >>> group_of = np.array([[0, 0, 1], [0, 0, 1]])
    >>> meets = count_meets(group_of, np.zeros((3, 3)))
    >>> schedule_cost(group_of, meets, np.ones((3, 3)), 10.0, True)
    8.0

    Notes
    -----
    O(W·n²).
    """
    rounds, n = group_of.shape
    total = 0.0
    for a in range(n):
        for b in range(a + 1, n):
            m = meets[a, b]
            total += penalty * (max(m - 1.0, 0.0) if repeats else m * m)
    for w in range(rounds):
        for a in range(n):
            for b in range(a + 1, n):
                if group_of[w, a] == group_of[w, b]:
                    total -= util[a, b]
    return total


@njit(cache=True)
def _add_cost(m: float, penalty: float, repeats: bool) -> float:
    """Cost change of one more meeting for a pair that has met ``m`` times."""
    if repeats:
        return penalty if m >= 1.0 else 0.0
    return penalty * (2.0 * m + 1.0)


@njit(cache=True)
def _remove_cost(m: float, penalty: float, repeats: bool) -> float:
    """Cost change of one meeting fewer for a pair that has met ``m`` times."""
    if repeats:
        return -penalty if m >= 2.0 else 0.0
    return penalty * (1.0 - 2.0 * m)


@njit(cache=True)
def _swap(group_of: np.ndarray, meets: np.ndarray, w: int, a: int, b: int) -> None:
    ga, gb = group_of[w, a], group_of[w, b]
    for q in range(group_of.shape[1]):
        g = group_of[w, q]
        if q == a or q == b or (g != ga and g != gb):
            continue
        step = 1.0 if g == gb else -1.0  # a joins gb and leaves ga; b the other way round
        meets[a, q] += step
        meets[q, a] += step
        meets[b, q] -= step
        meets[q, b] -= step
    group_of[w, a], group_of[w, b] = gb, ga


@njit(cache=True)
def _perturb(group_of: np.ndarray, meets: np.ndarray, best: np.ndarray, prior: np.ndarray) -> None:
    """Back to the best schedule, then a few random swaps (escapes a plateau)."""
    group_of[:, :] = best
    meets[:, :] = count_meets(group_of, prior)
    rounds, n = group_of.shape
    for _ in range(max(2, n // 8)):
        w = np.random.randint(rounds)
        a, b = np.random.randint(n), np.random.randint(n)
        if group_of[w, a] != group_of[w, b]:
            _swap(group_of, meets, w, a, b)


@njit(cache=True)
def schedule_steps(group_of: np.ndarray, meets: np.ndarray, util: np.ndarray,
                   prior: np.ndarray, best_group_of: np.ndarray, tabu: np.ndarray,
                   groups: int, penalty: float, repeats: bool, it: int, current: float,
                   best: float, stale: int, patience: int, tenure_low: int, tenure_high: int,
                   steps: int, target: float, seed: int) -> tuple[int, float, float, int]:
    """Run up to ``steps`` tabu iterations in place; returns ``(it, current, best, stale)``.

    Each iteration takes the best swap that is not tabu (or is, but beats the best cost
    seen), ties broken at random; in ``repeats`` mode only swaps moving a member out of a
    repeated meeting are considered. After ``patience`` iterations without a new best, or
    when no swap is allowed, it restarts from the best schedule with a few random swaps.

    Parameters
    ----------
    group_of, meets : ndarray
        The schedule and its meeting counts, updated in place.
    util, prior : ndarray
        n×n pair utilities and meetings before the schedule.
    best_group_of : ndarray
        The best schedule seen, updated in place.
    tabu : ndarray of int64
        rounds × n × n: the iteration until which swapping a pair in a round is tabu.
    groups : int
        The most groups in a round.
    penalty, repeats
        As for :func:`schedule_cost`.
    it, current, best, stale : int, float, float, int
        Iterations so far, current and best cost, iterations since a new best.
    patience : int
        Iterations without a new best before a perturbation.
    tenure_low, tenure_high : int
        Range of the random tabu tenure.
    steps : int
        Iterations to run in this call.
    target : float
        Stop once the best cost is at most this.
    seed : int
        Seeds numba's random generator for this call.

    Returns
    -------
    (int, float, float, int)
        ``it``, ``current``, ``best`` and ``stale`` after these iterations.

    Notes
    -----
    An iteration costs O(W·n²) to value every swap, plus O(n) to apply one.
    """
    np.random.seed(seed)
    rounds, n = group_of.shape
    removal = np.empty(n)
    added = np.empty((n, groups))
    for _ in range(steps):
        if best <= target + 1e-9:
            break
        it += 1
        pick_d, pick_w, pick_a, pick_b, pick_key = 0.0, -1, -1, -1, np.inf
        for w in range(rounds):
            added[:, :] = 0.0
            removal[:] = 0.0
            for a in range(n):
                ga = group_of[w, a]
                for q in range(n):
                    if q == a:
                        continue
                    m = meets[a, q]
                    gq = group_of[w, q]
                    added[a, gq] += _add_cost(m, penalty, repeats) - util[a, q]
                    if gq == ga:
                        removal[a] += _remove_cost(m, penalty, repeats) + util[a, q]
            for a in range(n):
                ga = group_of[w, a]
                for b in range(a + 1, n):
                    gb = group_of[w, b]
                    if ga == gb or (repeats and removal[a] >= 0.0 and removal[b] >= 0.0):
                        continue
                    link = _add_cost(meets[a, b], penalty, repeats) - util[a, b]
                    d = removal[a] + removal[b] + added[a, gb] + added[b, ga] - 2.0 * link
                    if tabu[w, a, b] > it and current + d >= best - 1e-9:
                        continue
                    key = d + np.random.random() * 1e-7
                    if key < pick_key:
                        pick_d, pick_w, pick_a, pick_b, pick_key = d, w, a, b, key
        if pick_w < 0:
            _perturb(group_of, meets, best_group_of, prior)
            current, stale = schedule_cost(group_of, meets, util, penalty, repeats), 0
            continue
        _swap(group_of, meets, pick_w, pick_a, pick_b)
        current += pick_d
        tenure = np.random.randint(tenure_low, tenure_high)
        tabu[pick_w, pick_a, pick_b] = tabu[pick_w, pick_b, pick_a] = it + tenure
        if current < best - 1e-9:
            best, stale = current, 0
            best_group_of[:, :] = group_of
        else:
            stale += 1
        if stale > patience:
            _perturb(group_of, meets, best_group_of, prior)
            current, stale = schedule_cost(group_of, meets, util, penalty, repeats), 0
    return it, current, best, stale
