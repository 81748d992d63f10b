"""Repairing a grouping when members join or leave mid-programme."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from graph.errors import InfeasibleError
from graph.mdgp import Grouping, objective, solve_groups

__all__ = ["repair"]

Pair = tuple[int, int]


def _remnants(previous: list[list[int]], present: list[int],
              bounds: list[Pair]) -> list[list[int]]:
    """Previous circles minus the members who left, biggest first, that could stay circles."""
    here = set(present)
    largest = max(hi for _, hi in bounds)
    kept = [[m for m in circle if m in here] for circle in previous]
    kept = [c for c in kept if 2 <= len(c) <= largest]
    return sorted(kept, key=len, reverse=True)[: len(bounds)]


def _start(remnants: list[list[int]], newcomers: list[int], others: list[int],
           w: np.ndarray, bounds: list[Pair]) -> list[list[int]]:
    """Kept circles in the roomiest slots; newcomers first into kept circles with room
    (where they add most); everyone else into the groups furthest below their minimum."""
    groups: list[list[int]] = [[] for _ in bounds]
    slots = sorted(range(len(bounds)), key=lambda g: -bounds[g][1])
    for circle, slot in zip(remnants, slots):
        groups[slot] = list(circle)
    for member in newcomers:
        room = [g for g, group in enumerate(groups) if len(group) < bounds[g][1]]
        if not room:
            others = others + [member]
            continue
        best = max(room, key=lambda g: (bool(groups[g]), float(w[member, groups[g]].sum())))
        groups[best].append(member)
    for member in others:
        g = max(range(len(groups)), key=lambda g: (bounds[g][0] - len(groups[g]),
                                                   bounds[g][1] - len(groups[g])))
        groups[g].append(member)
    return groups


def repair(previous: list[list[int]], present: list[int], weights: np.ndarray,
           bounds: list[Pair], *, time_limit: float = 1.0, seed: int | None = None,
           forbidden: Iterable[Pair] = ()) -> Grouping:
    """Regroup ``present`` keeping as many of the ``previous`` circles intact as possible.

    A previous circle stays intact when its remaining members stay together, with no other
    previous circle merged in; newcomers fill circles with room first, and only members of
    circles that could not be kept are regrouped (``solve_groups`` with the kept circles
    locked). Among groupings keeping the most circles, the search maximises the utility.

    Parameters
    ----------
    previous : list of lists of int
        Last round's circles (member ids index ``weights``).
    present : list of int
        Members taking part now (newcomers included, leavers absent).
    weights : ndarray
        Pair utilities over all member ids.
    bounds : list of (int, int)
        Size bounds of the new groups (for ``len(present)`` members).
    time_limit, seed, forbidden
        As for :func:`graph.mdgp.solve_groups`.

    Returns
    -------
    Grouping
        Groups of member ids; ``objective`` is their utility.

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold the present members or forbidden pairs cannot be
        kept apart.

    Examples
    --------
    >>> w = np.ones((7, 7))
    >>> repair([[0, 1, 2], [3, 4, 5]], [0, 1, 2, 3, 4, 6], w, [(3, 3), (3, 3)], seed=0).groups
    [[0, 1, 2], [3, 4, 6]]

    Notes
    -----
    One ``solve_groups`` call per circle that has to be given up (usually none or one).
    """
    started = time.perf_counter()
    present = sorted(set(present))
    if not present:
        raise InfeasibleError("0 members: nothing to form")
    index = {member: i for i, member in enumerate(present)}
    w = np.array(weights, dtype=float)[np.ix_(present, present)]
    banned = [(index[a], index[b]) for a, b in forbidden if a in index and b in index]
    before = {m for circle in previous for m in circle}
    newcomers = [index[m] for m in present if m not in before]
    remnants = [[index[m] for m in c] for c in _remnants(previous, present, bounds)]
    found = _keeping_most(w, bounds, remnants, newcomers, banned, seed=seed,
                          deadline=started + time_limit)
    groups = [sorted(present[i] for i in g) for g in found.groups]
    return Grouping(groups, objective(np.asarray(weights, float), groups),
                    time.perf_counter() - started)


def _keeping_most(w: np.ndarray, bounds: list[Pair], remnants: list[list[int]],
                  newcomers: list[int], banned: list[Pair], *, seed: int | None,
                  deadline: float) -> Grouping:
    """The best grouping that keeps the remnants intact and apart, giving up the smallest
    remnant for as long as none can be found (each try gets the time left, at least 0.05 s).
    """
    while True:
        separate = [(a[0], b[0]) for i, a in enumerate(remnants) for b in remnants[i + 1:]]
        kept = {m for c in remnants for m in c} | set(newcomers)
        others = [i for i in range(len(w)) if i not in kept]
        start = _start(remnants, newcomers, others, w, bounds)
        left = max(deadline - time.perf_counter(), 0.05)
        try:
            return solve_groups(w, bounds, time_limit=left, seed=seed, locked=remnants,
                                forbidden=banned + separate, initial=start)
        except InfeasibleError:
            if not remnants:
                raise
            remnants = remnants[:-1]
