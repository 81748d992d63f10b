"""Several rounds planned together, and repairing a round when members join or leave.

Planning one round at a time is myopic: early rounds use up the good unmet pairs and later
rounds are forced into repeats. :func:`plan_rounds` plans all rounds jointly — maximise
total utility − penalty × Σ_pairs meetings² with the swap tabu search of
:mod:`graph.schedule` — from the better of two starts: round-by-round solves with the repeat
penalty folded into the weights, and (for equal group sizes) a social-golfer schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from graph.errors import InfeasibleError
from graph.golfers import golfers
from graph.mdgp import Grouping, objective, solve_groups
from graph.pairs import pair_up
from graph.repair import repair
from graph.schedule import BIG, Rounds, ScheduleSearch

Pair = tuple[int, int]
__all__ = ["golfers", "plan_round_by_round", "plan_rounds", "repair"]


def _prior(n: int, met: dict[Pair, float] | None) -> np.ndarray:
    prior = np.zeros((n, n))
    for (a, b), times in (met or {}).items():
        prior[a, b] = prior[b, a] = float(times)
    return prior


def _round_by_round(w: np.ndarray, bounds: list[Pair], rounds: int, prior: np.ndarray,
                    penalty: float, budget: float, seed: int | None,
                    forbidden: list[Pair]) -> Rounds:
    """Each round solved alone on weights − penalty × (2·met + 1), the marginal cost of one
    more meeting under the squared penalty."""
    meets = prior.copy()
    schedule: Rounds = []
    pairs_only = all(b == (2, 2) for b in bounds)
    for r in range(rounds):
        adjusted = w - penalty * (2 * meets + 1)
        round_seed = None if seed is None else seed + r
        if pairs_only:
            groups = pair_up(adjusted, forbidden=forbidden, seed=round_seed)
        else:
            groups = solve_groups(adjusted, bounds, time_limit=budget / rounds,
                                  seed=round_seed, forbidden=forbidden).groups
        for group in groups:
            meets[np.ix_(group, group)] += 1
        np.fill_diagonal(meets, prior.diagonal())
        schedule.append(groups)
    return schedule


def plan_round_by_round(weights: np.ndarray, bounds: list[Pair], rounds: int, *,
                        time_limit: float = 5.0, seed: int | None = None,
                        forbidden: Iterable[Pair] = (), met: dict[Pair, float] | None = None,
                        repeat_penalty: float | None = None) -> list[Grouping]:
    """The myopic baseline: each round planned alone, avoiding pairs that met already.

    Each round is solved on the weights less ``repeat_penalty × (2·meetings + 1)``, the
    cost of one more meeting under the squared penalty of :func:`plan_rounds`.

    Parameters
    ----------
    weights, bounds, rounds, seed, forbidden, met, repeat_penalty
        As for :func:`plan_rounds`.
    time_limit : float
        Seconds for all the rounds, shared evenly.

    Returns
    -------
    list of Grouping
        One per round; ``objective`` is that round's utility, ``seconds`` the average time
        per round.

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold the members or forbidden pairs cannot be kept apart.

    Examples
    --------
    >>> w = np.zeros((4, 4))
    >>> plan = plan_round_by_round(w, [(2, 2), (2, 2)], 3, seed=0)
    >>> len({tuple(pair) for grouping in plan for pair in grouping.groups})  # all 6 pairs
    6

    Notes
    -----
    R solves of one round each.
    """
    w, penalty = _weights(weights), _penalty(weights, repeat_penalty)
    prior = _prior(len(w), met)
    started = time.perf_counter()
    schedule = _round_by_round(w, bounds, rounds, prior, penalty, time_limit, seed,
                               list(forbidden))
    seconds = (time.perf_counter() - started) / rounds
    return [Grouping(groups, objective(w, groups), seconds) for groups in schedule]


def _weights(weights: np.ndarray) -> np.ndarray:
    w: np.ndarray = np.array(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or len(w) == 0:
        raise InfeasibleError("0 members: nothing to form")
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0.0)
    return w


def _penalty(weights: np.ndarray, repeat_penalty: float | None) -> float:
    if repeat_penalty is not None:
        return float(repeat_penalty)
    w = np.asarray(weights, dtype=float)
    spread = float(w.max() - w.min()) if w.size else 0.0
    return max(1.0, spread)


def plan_rounds(weights: np.ndarray, bounds: list[Pair], rounds: int, *,
                time_limit: float = 5.0, seed: int | None = None,
                forbidden: Iterable[Pair] = (), met: dict[Pair, float] | None = None,
                repeat_penalty: float | None = None,
                progress: Callable[[float], None] | None = None) -> list[Grouping]:
    """Plan ``rounds`` rounds jointly: utility high, repeated meetings few and spread out.

    Parameters
    ----------
    weights : ndarray
        n×n symmetric pair utilities (diagonal ignored).
    bounds : list of (int, int)
        Size bounds of each group, the same in every round; all ``(2, 2)`` means pairs.
    rounds : int
        Number of rounds R ≥ 1.
    time_limit : float
        Seconds for the whole plan.
    seed : int or None
        Same seed → same plan while the time limit is not what stops the search.
    forbidden : iterable of (int, int)
        Pairs never grouped, in any round.
    met : dict (a, b) → float, optional
        Prior meetings (weighted by recency by the caller); they count in the penalty.
    repeat_penalty : float, optional
        λ in utility − λ·Σ meetings²; default max(1, spread of the weights), so that a
        repeat never pays for itself.
    progress : callable, optional
        Called with the fraction done (0..1).

    Returns
    -------
    list of Grouping
        One per round; ``objective`` is that round's utility.

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold the members, rounds < 1, or forbidden pairs cannot be
        kept apart.

    Examples
    --------
    >>> plan = plan_rounds(np.ones((16, 16)), [(4, 4)] * 4, 5, seed=0, time_limit=2)
    >>> len(plan), sorted(len(g) for g in plan[0].groups)
    (5, [4, 4, 4, 4])

    Notes
    -----
    Each search iteration costs O(R·n²·G) numpy work.
    """
    if rounds < 1:
        raise InfeasibleError(f"rounds must be at least 1, got {rounds}")
    started = time.perf_counter()
    w, penalty = _weights(weights), _penalty(weights, repeat_penalty)
    n, banned = len(w), list(forbidden)
    prior = _prior(n, met)
    starts = _starts(w, bounds, rounds, prior, penalty, time_limit / 4, seed, banned)
    utility = w.copy()
    for a, b in banned:
        utility[a, b] = utility[b, a] = -BIG
    best = _best_schedule(starts, n, utility, prior, penalty, seed=seed,
                          deadline=started + time_limit, progress=progress)
    seconds = (time.perf_counter() - started) / rounds
    return [Grouping([sorted(g) for g in groups], objective(w, groups), seconds)
            for groups in best]


def _starts(w: np.ndarray, bounds: list[Pair], rounds: int, prior: np.ndarray, penalty: float,
            budget: float, seed: int | None, banned: list[Pair]) -> list[Rounds]:
    """Where the joint search starts: the round-by-round plan and, for equal group sizes and
    nothing forbidden, a social-golfer schedule (each given ``budget`` seconds)."""
    starts = [_round_by_round(w, bounds, rounds, prior, penalty, budget, seed, banned)]
    sizes = {lo for lo, hi in bounds if lo == hi}
    if len(sizes) == 1 and all(lo == hi for lo, hi in bounds) and not banned:
        starts.append(golfers(len(bounds), sizes.pop(), rounds, time_limit=budget,
                              seed=seed)[0])
    return starts


def _best_schedule(starts: list[Rounds], n: int, utility: np.ndarray, prior: np.ndarray,
                   penalty: float, *, seed: int | None, deadline: float,
                   progress: Callable[[float], None] | None) -> Rounds:
    """The lowest-cost schedule of a joint search from each start (the first on a tie), the
    time left shared evenly among the starts still to run; progress follows the last."""
    best: tuple[float, Rounds] | None = None
    for index, start in enumerate(starts):
        search = ScheduleSearch(start, n, utility=utility, prior=prior, penalty=penalty,
                                mode="squared", seed=seed)
        share = (deadline - time.perf_counter()) / (len(starts) - index)
        schedule, cost = search.run(time_limit=max(share, 0.0),
                                    max_iterations=20 * n * len(start),
                                    progress=progress if index == len(starts) - 1 else None)
        if best is None or cost < best[0]:
            best = (cost, schedule)
    assert best is not None
    return best[1]
