"""Where the annealing chains of :func:`graph.plan.plan_circles` start: a random plan within
the size bounds that keeps the pins, or the caller's ``initial`` plan made to fit."""

from __future__ import annotations

import numpy as np

from graph.errors import InfeasibleError
from graph.plan.rules import Pair, Rounds

__all__ = ["starting_plan", "temperature"]


def starting_plan(n: int, bounds: list[Pair], rounds: int, pinned: np.ndarray,
           initial: Rounds | None, rng: np.random.Generator) -> np.ndarray:
    """A starting plan within the size bounds: ``initial`` where given, pins respected, the
    rest placed at random (groups below their minimum first).

    Parameters
    ----------
    n, rounds : int
        Members and rounds.
    bounds : list of (int, int)
        ``(min, max)`` size of each group.
    pinned : ndarray
        rounds × n: the group each member is pinned to, -1 where free
        (:func:`~graph.plan.rules.pin_table`).
    initial : list of rounds of groups, optional
        A plan to start from; members beyond a group's maximum are placed again.
    rng : numpy.random.Generator
        Draws the placements.

    Returns
    -------
    ndarray of int64
        rounds × n: each member's group in each round.

    Raises
    ------
    InfeasibleError
        When the members cannot fit, or pins leave a group below its minimum.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> plan = starting_plan(4, [(2, 2), (2, 2)], 1, np.array([[1, -1, -1, -1]]), None, rng)
    >>> int(plan[0, 0]), np.bincount(plan[0]).tolist()
    (1, [2, 2])

    Notes
    -----
    O(R·n·G).
    """
    groups = len(bounds)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    assign = np.full((rounds, n), -1, dtype=np.int64)
    for r in range(rounds):
        row = assign[r]
        pins = pinned[r] >= 0
        row[pins] = pinned[r][pins]
        if initial is not None and r < len(initial):
            for g, group in enumerate(initial[r][:groups]):
                for m in group:
                    if 0 <= m < n and row[m] < 0:
                        row[m] = g
        load = np.bincount(row[row >= 0], minlength=groups)
        for full in np.flatnonzero(load > hi):  # trim overfull groups (unpinned members first)
            extra = [m for m in np.flatnonzero(row == full) if pinned[r, m] < 0]
            for m in rng.permutation(extra)[: load[full] - hi[full]]:
                row[m], load[full] = -1, load[full] - 1
        for m in rng.permutation(np.flatnonzero(row < 0)):
            room = np.flatnonzero(load < hi)
            if room.size == 0:
                raise InfeasibleError(f"{n} members do not fit {groups} groups of at most "
                                      f"{int(hi.max())}")
            short = room[(lo - load)[room] == (lo - load)[room].max()]
            g = int(rng.choice(short))
            row[m], load[g] = g, load[g] + 1
        for short_group in np.flatnonzero(load < lo):  # an initial plan left a group short
            while load[short_group] < lo[short_group]:
                donors = [k for k in range(groups) if load[k] > lo[k]
                          and (pinned[r][row == k] < 0).any()]
                if not donors:
                    raise InfeasibleError(f"group {short_group} cannot reach {lo[short_group]} "
                                          "members: everyone who could join it is pinned")
                donor = max(donors, key=lambda k: load[k] - lo[k])
                taken = next(k for k in np.flatnonzero(row == donor) if pinned[r, k] < 0)
                row[taken] = short_group
                load[short_group] += 1
                load[donor] -= 1
    return assign


def temperature(w: np.ndarray, size: float, rng: np.random.Generator) -> float:
    """A starting temperature: a typical change of pair utility when a member changes group.

    Parameters
    ----------
    w : ndarray
        n×n pair utilities.
    size : float
        Typical group size.
    rng : numpy.random.Generator
        Draws the 256 sampled changes.

    Returns
    -------
    float
        The mean absolute change, at least 0.001.

    Notes
    -----
    O(256·size).
    """
    n = len(w)
    k = max(1, round(size) - 1)
    rows = rng.integers(0, n, 256)
    picks = rng.integers(0, n, (256, 2, k))
    deltas = w[rows[:, None], picks[:, 0]].sum(axis=1) - w[rows[:, None], picks[:, 1]].sum(axis=1)
    return max(float(np.mean(np.abs(deltas))), 1e-3)
