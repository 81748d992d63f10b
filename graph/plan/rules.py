"""The rules of a plan and its checked inputs: weights, size bounds, pairs that must not meet
(again), pins, shared windows — and the breaks a finished plan leaves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from graph.errors import InfeasibleError

__all__ = ["breaks", "check_bounds", "columns", "pair_matrix", "pin_table", "symmetric_weights"]

Pair = tuple[int, int]
Rounds = list[list[list[int]]]


def symmetric_weights(weights: np.ndarray) -> np.ndarray:
    """Pair utilities as a symmetric float matrix with a zero diagonal.

    Parameters
    ----------
    weights : ndarray
        n×n pair utilities; ``(w + wᵀ) / 2`` is used.

    Returns
    -------
    ndarray

    Raises
    ------
    ValueError
        When ``weights`` is not square or not finite.
    InfeasibleError
        When there are no members.

    Examples
    --------
    >>> symmetric_weights(np.array([[5.0, 1.0], [3.0, 0.0]])).tolist()
    [[0.0, 2.0], [2.0, 0.0]]

    Notes
    -----
    O(n²).
    """
    w = np.array(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"weights must be a square matrix, not of shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    if len(w) == 0:
        raise InfeasibleError("0 members: nothing to form")
    symmetric: np.ndarray = (w + w.T) / 2
    np.fill_diagonal(symmetric, 0.0)
    return symmetric


def check_bounds(n: int, bounds: list[Pair]) -> None:
    """Check that groups within ``bounds`` can hold exactly ``n`` members.

    Parameters
    ----------
    n : int
        Number of members.
    bounds : list of (int, int)
        ``(min, max)`` size of each group.

    Raises
    ------
    InfeasibleError
        When there are no groups, a bound is below 1 or inverted, or the sizes cannot add
        up to ``n``.

    Examples
    --------
    >>> check_bounds(5, [(2, 3), (2, 3)])
    >>> check_bounds(7, [(2, 3), (2, 3)])
    Traceback (most recent call last):
    ...
    graph.errors.InfeasibleError: 7 members do not fit 2 groups holding 4–6 members in all

    Notes
    -----
    O(G).
    """
    if not bounds:
        raise InfeasibleError(f"{n} members but no groups to place them in")
    if any(lo < 1 or lo > hi for lo, hi in bounds):
        raise InfeasibleError(f"group size bounds must satisfy 1 ≤ min ≤ max, got {bounds}")
    low, high = sum(lo for lo, _ in bounds), sum(hi for _, hi in bounds)
    if not low <= n <= high:
        raise InfeasibleError(f"{n} members do not fit {len(bounds)} groups holding "
                              f"{low}–{high} members in all")


def pair_matrix(n: int, pairs: Iterable[Pair], what: str) -> np.ndarray:
    """The pairs as a symmetric n×n 0/1 matrix (int8).

    Parameters
    ----------
    n : int
        Number of members.
    pairs : iterable of (int, int)
        Pairs of distinct members.
    what : str
        What the pairs are ("forbidden", "met"), for the error message.

    Returns
    -------
    ndarray

    Raises
    ------
    InfeasibleError
        When a pair is out of range or pairs a member with themself.

    Examples
    --------
    >>> pair_matrix(3, [(0, 2)], "met").tolist()
    [[0, 0, 1], [0, 0, 0], [1, 0, 0]]

    Notes
    -----
    O(n² + pairs).
    """
    matrix = np.zeros((n, n), dtype=np.int8)
    for a, b in pairs:
        if not (0 <= a < n and 0 <= b < n) or a == b:
            raise InfeasibleError(f"{what} pair ({a}, {b}) is not a pair of distinct members")
        matrix[a, b] = matrix[b, a] = 1
    return matrix


def pin_table(n: int, rounds: int, groups: int,
              pinned: Mapping[tuple[int, int], int] | None) -> np.ndarray:
    """Pins as a rounds × n table of groups (-1: not pinned).

    Parameters
    ----------
    n, rounds, groups : int
        Members, rounds and groups per round.
    pinned : mapping (round, member) → group, optional

    Returns
    -------
    ndarray of int64

    Raises
    ------
    InfeasibleError
        When a pin's round, member or group is out of range.

    Examples
    --------
    >>> pin_table(3, 2, 2, {(1, 2): 0}).tolist()
    [[-1, -1, -1], [-1, -1, 0]]

    Notes
    -----
    O(rounds·n + pins).
    """
    table = np.full((rounds, n), -1, dtype=np.int64)
    for (r, m), g in (pinned or {}).items():
        if not (0 <= r < rounds and 0 <= m < n and 0 <= g < groups):
            raise InfeasibleError(f"pin of member {m} to group {g} in round {r} is out of range")
        table[r, m] = g
    return table


def columns(starts: np.ndarray) -> np.ndarray:
    """Boolean start slots (n × S) as the distinct columns anyone can use (uint8, n × U).

    Two slots at which exactly the same members are free are one choice for a group, so a
    week of 5-minute slots usually comes down to a few dozen columns.

    Parameters
    ----------
    starts : ndarray of bool
        n×S: whether each member could start a meeting at each slot.

    Returns
    -------
    ndarray of uint8
        n×U, U ≥ 1 (a single column of zeros when no slot suits anyone).

    Examples
    --------
    >>> columns(np.array([[1, 1, 0, 0], [0, 1, 1, 0]], dtype=bool)).shape
    (2, 3)

    Notes
    -----
    O(n·S log S) to sort the columns.
    """
    starts = np.asarray(starts, dtype=bool)
    used = starts[:, starts.any(axis=0)]
    if used.size:
        used = np.unique(used, axis=1)
    if used.shape[1] == 0:
        return np.zeros((len(starts), 1), dtype=np.uint8)
    return np.ascontiguousarray(used, dtype=np.uint8)


def breaks(plan: Rounds, *, hard: np.ndarray, prior: np.ndarray,
           cols: np.ndarray | None) -> list[tuple[int | str, ...]]:
    """The rule breaks of a plan: forbidden pairs, pairs meeting again, groups with no window.

    Parameters
    ----------
    plan : list of rounds of groups
        ``plan[r][g]`` lists group g's members in round r.
    hard : ndarray
        n×n, nonzero for forbidden pairs.
    prior : ndarray
        n×n meetings before the plan.
    cols : ndarray, optional
        n×U start columns (:func:`columns`); None: no window rule.

    Returns
    -------
    list of tuples
        ``("forbidden", r, a, b)``, ``("repeat", r, a, b)`` (a pair meeting again in round
        r) and ``("window", r, g)``, in plan order.

    Examples
    --------
    >>> hard = np.zeros((3, 3), dtype=np.int8); hard[0, 1] = hard[1, 0] = 1
    >>> breaks([[[0, 1, 2]], [[0, 2], [1]]], hard=hard, prior=np.zeros((3, 3)), cols=None)
    [('forbidden', 0, 0, 1), ('repeat', 1, 0, 2)]

    Notes
    -----
    O(n² + Σ squared group sizes + R·G·n·U).
    """
    found: list[tuple[int | str, ...]] = []
    seen = np.array(prior, dtype=np.int32)
    for r, groups in enumerate(plan):
        for g, group in enumerate(groups):
            for x, a in enumerate(group):
                for b in group[x + 1:]:
                    if hard[a, b]:
                        found.append(("forbidden", r, a, b))
                    if seen[a, b]:
                        found.append(("repeat", r, a, b))
            if cols is not None and group and not cols[group].all(axis=0).any():
                found.append(("window", r, g))
        for group in groups:
            for x, a in enumerate(group):
                for b in group[x + 1:]:
                    seen[a, b] = seen[b, a] = seen[a, b] + 1
    return found
