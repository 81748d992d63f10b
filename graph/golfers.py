"""The Social Golfer Problem: G groups of S people for W rounds, no pair meeting twice.

Exact constructions where design theory gives them (round-robin for pairs, affine planes
AG(2, q), partial spreads of GF(2)^d for powers of two, Kirkman triple systems with a
cyclic symmetry — see :mod:`graph.designs`), otherwise a greedy start in the style of
Triska & Musliu (2012) — place together players who have not met, keeping the most
"freedom" for later rounds — followed by the joint tabu search of :mod:`graph.schedule` (Dotú & Van Hentenryck
2005), restarted from a fresh greedy start when it stalls.
"""

from __future__ import annotations

import time

import numpy as np

from graph.designs import (
    affine_plane,
    binary_spread,
    kirkman_rotational,
    round_robin,
    triples_with_cyclic_symmetry,
)
from graph.errors import InfeasibleError
from graph.schedule import Rounds, ScheduleSearch

__all__ = ["golfers", "greedy_schedule"]

#: Greedy starts the search tries at most.
RESTARTS = 50


def greedy_schedule(groups: int, size: int, rounds: int, rng: np.random.Generator,
                    meets: np.ndarray | None = None) -> Rounds:
    """Fill each round pair by pair with players who have not met (fewest meetings first,
    then the largest *freedom* — players neither has met yet), ties broken at random.

    Parameters
    ----------
    groups, size, rounds : int
        G, S and W (n = G·S players).
    rng : numpy.random.Generator
        Breaks ties.
    meets : ndarray, optional
        n×n meetings before the schedule (not modified).

    Returns
    -------
    list of rounds of groups
        ``schedule[w][g]`` lists group g's players in round w, sorted.

    Examples
    --------
    >>> greedy_schedule(2, 2, 3, np.random.default_rng(0))
    [[[2, 3], [0, 1]], [[0, 3], [1, 2]], [[0, 2], [1, 3]]]

    Notes
    -----
    O(W·n³): each pick scores every pair of free players.
    """
    n = groups * size
    met = np.zeros((n, n)) if meets is None else meets.copy()
    schedule: Rounds = []
    for _ in range(rounds):
        free = np.ones(n, dtype=bool)
        round_groups = []
        for _ in range(groups):
            group: list[int] = []
            while len(group) < size:
                group += _pick(met, free, group, size - len(group) >= 2, rng)
                free[group] = False
            for i in group:
                met[i, group] += 1
                met[i, i] = 0
            round_groups.append(sorted(group))
        schedule.append(round_groups)
    return schedule


def _pick(met: np.ndarray, free: np.ndarray, group: list[int], two: bool,
          rng: np.random.Generator) -> list[int]:
    known = met[:, group].sum(axis=1) if group else np.zeros(len(met))
    unmet = (met == 0).astype(float)
    if not two:
        score = known * 1e4 - unmet.sum(axis=1) + rng.random(len(met))
        score[~free] = np.inf
        return [int(np.argmin(score))]
    freedom = unmet @ unmet.T
    score = (met + known[:, None] + known[None, :]) * 1e4 - freedom
    score += rng.random(score.shape)
    score[~free, :] = np.inf
    score[:, ~free] = np.inf
    np.fill_diagonal(score, np.inf)
    a, b = np.unravel_index(int(np.argmin(score)), score.shape)
    return [int(a), int(b)]


def _construction(groups: int, size: int, rounds: int) -> Rounds | None:
    if size == 1:
        return [[[g] for g in range(groups)] for _ in range(rounds)]
    if size == 2 and rounds <= 2 * groups - 1:
        return round_robin(2 * groups, rounds)
    if groups == size and (plane := affine_plane(size, rounds)) is not None:
        return plane
    n = groups * size
    if size == 3:
        kts = kirkman_rotational(n, rounds) or triples_with_cyclic_symmetry(groups, rounds)
        if kts is not None:
            return kts
    if n & (n - 1) == 0 and size & (size - 1) == 0:
        return binary_spread(n.bit_length() - 1, size.bit_length() - 1, rounds)
    return None


def golfers(groups: int, size: int, rounds: int, *, time_limit: float = 10.0,
            seed: int | None = None, restarts: int = RESTARTS,
            iterations: int | None = None) -> tuple[Rounds, int]:
    """Schedule ``groups`` groups of ``size`` people for ``rounds`` rounds, minimising the
    number of repeated pair meetings.

    Parameters
    ----------
    groups, size, rounds : int
        G, S and W of the Social Golfer Problem (n = G·S players numbered 0..n−1).
    time_limit : float
        Seconds for the search (constructions answer at once).
    seed : int or None
        Same seed → same schedule, as long as the time limit is not what stops the search.
    restarts : int
        Greedy starts to try at most (default 50).
    iterations : int, optional
        Tabu iterations per start (default 1000·n): a deterministic budget.

    Returns
    -------
    (list of rounds, int)
        ``rounds[w][g]`` lists the players of group g in round w; the int is
        Σ over pairs of max(0, meetings − 1), zero when no pair meets twice.

    Raises
    ------
    InfeasibleError
        If a count is below 1.

    Examples
    --------
    >>> schedule, repeats = golfers(4, 4, 5, seed=1)
    >>> repeats, len(schedule), sorted(len(g) for g in schedule[0])
    (0, 5, [4, 4, 4, 4])

    Notes
    -----
    Each search iteration costs O(W·n²·G) numpy work; constructions are O(W·n). The search
    restarts from a new greedy start up to 50 times (stopping at the time limit or at the
    counting lower bound on repeats).
    """
    if min(groups, size, rounds) < 1:
        raise InfeasibleError(
            f"groups, size and rounds must be at least 1 (got {groups}, {size}, {rounds})")
    built = _construction(groups, size, rounds)
    if built is not None:
        return built, 0
    rng = np.random.default_rng(seed)
    n = groups * size
    # Each player meets (S−1)·W others among n − 1: any excess is repeated meetings.
    floor = max(0, n * ((size - 1) * rounds - (n - 1)) // 2)
    return _restarts(groups, size, rounds, rng, floor=floor, restarts=restarts,
                     iterations=iterations or 1000 * n, time_limit=time_limit)


def _restarts(groups: int, size: int, rounds: int, rng: np.random.Generator, *, floor: int,
              restarts: int, iterations: int, time_limit: float) -> tuple[Rounds, int]:
    """The tabu search from up to ``restarts`` greedy starts; the schedule with the fewest
    repeats, stopping early at ``floor`` repeats or at the time limit."""
    start = time.perf_counter()
    n = groups * size
    best: Rounds = []
    best_repeats = -1
    for _ in range(restarts):
        initial = greedy_schedule(groups, size, rounds, rng)
        search = ScheduleSearch(initial, n, seed=int(rng.integers(2**31)), patience=100)
        left = time_limit - (time.perf_counter() - start)
        schedule, _ = search.run(time_limit=max(left, 0.0), target=float(floor),
                                 max_iterations=iterations)
        search.load(schedule)
        repeats = search.repeated_pairs()
        if best_repeats < 0 or repeats < best_repeats:
            best, best_repeats = schedule, repeats
        if best_repeats <= floor or time.perf_counter() - start >= time_limit:
            break
    return best, best_repeats
