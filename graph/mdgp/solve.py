"""The MDGP entry points: :func:`solve_groups` (iterated local search, with locked and
forbidden pairs) and :func:`solve_exact` (dynamic programming, small n), and the
:func:`objective` they maximise."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from graph.errors import InfeasibleError
from graph.mdgp.exact import exact_assignment
from graph.mdgp.problem import Problem
from graph.mdgp.search import iterated_search

__all__ = ["Grouping", "objective", "solve_exact", "solve_groups"]


@dataclass(frozen=True)
class Grouping:
    """Groups of member indices (``groups[g]`` within ``bounds[g]``), their objective, time."""

    groups: list[list[int]]
    objective: float
    seconds: float


def objective(weights: np.ndarray, groups: Iterable[Iterable[int]]) -> float:
    """Sum of ``weights[i, j]`` over unordered pairs ``i < j`` inside the same group.

    Parameters
    ----------
    weights : ndarray
        n×n symmetric pair utilities; the diagonal is ignored.
    groups : iterable of iterables of int

    Returns
    -------
    float

    Examples
    --------
    >>> w = np.array([[0, 1, 2], [1, 0, 4], [2, 4, 0]], dtype=float)
    >>> objective(w, [[0, 2], [1]])
    2.0

    Notes
    -----
    O(sum of squared group sizes).
    """
    total = 0.0
    for group in groups:
        members = np.array(sorted(group), dtype=np.int64)
        total += float(np.triu(weights[np.ix_(members, members)], 1).sum())
    return total


def _check(weights: np.ndarray, bounds: list[tuple[int, int]]) -> np.ndarray:
    w = np.array(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"weights must be a square matrix, not of shape {w.shape}")
    n = len(w)
    if n == 0:
        raise InfeasibleError("0 members: nothing to form")
    if not bounds:
        raise InfeasibleError(f"{n} members but no groups to place them in")
    if any(lo < 0 or lo > hi for lo, hi in bounds):
        raise InfeasibleError(f"group size bounds must satisfy 0 ≤ min ≤ max, got {bounds}")
    low, high = sum(lo for lo, _ in bounds), sum(hi for _, hi in bounds)
    if not low <= n <= high:
        raise InfeasibleError(
            f"{n} members do not fit {len(bounds)} groups holding {low}–{high} members in all"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    symmetric: np.ndarray = (w + w.T) / 2
    np.fill_diagonal(symmetric, 0.0)
    return symmetric


def _blocks(n: int, locked: Iterable[list[int]]) -> list[list[int]]:
    """Members grouped into blocks that must stay together (overlapping locks merge)."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in locked:
        members = list(group)
        for member in members:
            if not 0 <= member < n:
                raise InfeasibleError(f"locked member {member} is not among the {n} members")
        for member in members[1:]:
            parent[root(member)] = root(members[0])
    blocks: dict[int, list[int]] = {}
    for i in range(n):
        blocks.setdefault(root(i), []).append(i)
    return list(blocks.values())


def _forbid(w: np.ndarray, forbidden: Iterable[tuple[int, int]], block_of: np.ndarray) -> list[
        tuple[int, int]]:
    pairs = []
    big = 1.0 + 2.0 * float(np.abs(w).sum())
    for a, b in forbidden:
        if not (0 <= a < len(w) and 0 <= b < len(w)) or a == b:
            raise InfeasibleError(f"forbidden pair ({a}, {b}) is not a pair of distinct members")
        if block_of[a] == block_of[b]:
            raise InfeasibleError(f"members {a} and {b} are locked together but must not meet")
        pairs.append((a, b))
    for a, b in pairs:
        w[a, b] = w[b, a] = -big
    return pairs


def solve_groups(
    weights: np.ndarray,
    bounds: list[tuple[int, int]],
    *,
    time_limit: float = 1.0,
    seed: int | None = None,
    forbidden: Iterable[tuple[int, int]] = (),
    locked: Iterable[list[int]] = (),
    initial: list[list[int]] | None = None,
    progress: Callable[[float], None] | None = None,
    iterations: int | None = None,
) -> Grouping:
    """Group members to maximise the utility inside groups, by iterated local search.

    Parameters
    ----------
    weights : ndarray
        n×n symmetric pair utilities (diagonal ignored).
    bounds : list of (int, int)
        ``(min, max)`` size of each group; ``groups[g]`` in the result obeys ``bounds[g]``.
    time_limit : float
        Cap in seconds; the search usually stops earlier, after no improvement for a while.
    seed : int, optional
        Same seed → same result (unless ``time_limit`` cuts the search short).
    forbidden : iterable of (int, int)
        Pairs that must never share a group.
    locked : iterable of lists of int
        Member sets that must stay in one group.
    initial : list of lists of int, optional
        A grouping to start from (e.g. the previous round when repairing).
    progress : callable, optional
        Called with the fraction done (0..1), at most ~10 times a second.
    iterations : int, optional
        Cap on perturbation–descent iterations (deterministic budget).

    Returns
    -------
    Grouping

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold n members, a forbidden pair is locked together, the
        locked sets do not fit the sizes, or no grouping keeps the forbidden pairs apart.

    Examples
    --------
    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> sorted(solve_groups(w, [(2, 2), (2, 2)], seed=1).groups)
    [[0, 1], [2, 3]]
    >>> solve_groups(w, [(2, 2), (2, 2)], seed=1, forbidden=[(0, 1)]).objective
    2.0

    Notes
    -----
    Each descent round costs O(n² + n·G) numpy work and applies up to G/2 improving
    one-moves or swaps; the gain matrix makes every move O(n) to apply.
    """
    started = time.monotonic()
    w = _check(weights, bounds)
    n = len(w)
    blocks = _blocks(n, locked)
    block_of = np.empty(n, dtype=np.int64)
    for index, block in enumerate(blocks):
        block_of[block] = index
    original = w.copy()
    pairs = _forbid(w, forbidden, block_of)
    start = None if initial is None else _block_start(initial, block_of, len(blocks), bounds)
    state = iterated_search(_contract(w, blocks, block_of, bounds), np.random.default_rng(seed),
                            deadline=started + time_limit, iterations=iterations,
                            initial=start, progress=progress)
    groups = [sorted(m for b in np.flatnonzero(state.assign == g) for m in blocks[b])
              for g in range(len(bounds))]
    for a, b in pairs:
        if state.assign[block_of[a]] == state.assign[block_of[b]]:
            raise InfeasibleError(
                f"members {a} and {b} must not be grouped, but no grouping found keeps them apart"
            )
    if progress is not None:
        progress(1.0)
    return Grouping(groups, objective(original, groups), time.monotonic() - started)


def _contract(w: np.ndarray, blocks: list[list[int]], block_of: np.ndarray,
              bounds: list[tuple[int, int]]) -> Problem:
    """The problem on blocks: a block's weight to another is the sum over their members."""
    membership = np.zeros((len(w), len(blocks)))
    membership[np.arange(len(w)), block_of] = 1.0
    contracted = membership.T @ w @ membership
    np.fill_diagonal(contracted, 0.0)
    sizes = np.array([len(block) for block in blocks], dtype=np.int64)
    return Problem(contracted, sizes, bounds)


def _block_start(initial: list[list[int]], block_of: np.ndarray, blocks: int,
                 bounds: list[tuple[int, int]]) -> np.ndarray:
    """A group per block from a grouping of members (-1 where ``initial`` says nothing)."""
    start = np.full(blocks, -1, dtype=np.int64)
    for g, group in enumerate(initial[: len(bounds)]):
        for member in group:
            if 0 <= member < len(block_of):
                start[block_of[member]] = g
    return start


def solve_exact(weights: np.ndarray, bounds: list[tuple[int, int]]) -> Grouping:
    """An optimal grouping by dynamic programming over subsets (small n only).

    Parameters
    ----------
    weights : ndarray
        n×n symmetric pair utilities, n ≤ 16 (≤ 14 stays well under a second).
    bounds : list of (int, int)
        ``(min, max)`` size of each group.

    Returns
    -------
    Grouping

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold n members or n is too large.

    Examples
    --------
    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> solve_exact(w, [(1, 3), (1, 3)]).objective
    10.0

    Notes
    -----
    O(G·3^n) time, O(G·2^n) memory.
    """
    started = time.monotonic()
    w = _check(weights, bounds)
    groups = exact_assignment(w, bounds)
    return Grouping(groups, objective(w, groups), time.monotonic() - started)
