"""Joint local search over a whole multi-round schedule (tabu search on swaps).

One engine serves the Social Golfer Problem and weighted multi-round planning: the state is
a group index per (round, member), the meet-count matrix ``M`` (prior meetings + this
schedule), and the move is *swap two members of different groups in the same round*
(Dotú & Van Hentenryck 2005). The steps run compiled in :mod:`graph.schedule_kernel`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from graph.schedule_kernel import count_meets, schedule_cost, schedule_steps

__all__ = ["BIG", "Rounds", "ScheduleSearch"]

Rounds = list[list[list[int]]]
#: Utility of a forbidden pair: no utility elsewhere pays for meeting them.
BIG = 1e9
# Compiled iterations between two looks at the clock: one costs O(W·n²), so a batch of
# WORK // (W·n²) iterations takes a few milliseconds whatever the schedule's size.
BATCH, WORK = 200, 2_000_000


@dataclass
class ScheduleSearch:
    """Minimise ``penalty × Σ_pairs f(M_ij) − utility`` over swaps within rounds.

    ``mode`` is ``"repeats"`` (f(m) = max(0, m − 1): the number of repeated meetings, the
    social golfer objective) or ``"squared"`` (f(m) = m², spreading unavoidable repeats).
    ``utility`` is an n×n symmetric matrix (zero diagonal; forbidden pairs at −BIG).

    Parameters
    ----------
    rounds : list of rounds of groups
        The starting schedule; swaps keep every group's size.
    n : int
        Number of members (ids 0..n−1, each once per round).
    utility, prior : ndarray, optional
        Pair utilities and prior meeting counts (n×n).
    penalty : float
        Weight of the repeat term.
    mode : {"repeats", "squared"}
    seed : int or None
        Tie-breaking and tabu tenures; same seed and budget → same result.

    Examples
    --------
    >>> search = ScheduleSearch([[[0, 1], [2, 3]], [[0, 1], [2, 3]]], 4, seed=0)
    >>> search.repeated_pairs()
    2
    >>> best, cost = search.run(time_limit=5, target=0)
    >>> cost, len({tuple(group) for groups in best for group in groups})  # 4 distinct pairs
    (0.0, 4)

    Notes
    -----
    One iteration costs O(R·n²) compiled work (every swap's gain) plus O(n) to apply.
    """

    rounds: Rounds
    n: int
    utility: np.ndarray | None = None
    prior: np.ndarray | None = None
    penalty: float = 1.0
    mode: str = "repeats"
    seed: int | None = None
    tenure: tuple[int, int] = (4, 12)
    patience: int = 40
    group_of: np.ndarray = field(init=False)
    meets: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.width = max(len(r) for r in self.rounds)
        self.group_of = np.zeros((len(self.rounds), self.n), dtype=np.int64)
        for w, groups in enumerate(self.rounds):
            for g, members in enumerate(groups):
                self.group_of[w, members] = g
        self.util = (np.zeros((self.n, self.n)) if self.utility is None
                     else np.array(self.utility, dtype=float))
        np.fill_diagonal(self.util, 0.0)
        self.base = (np.zeros((self.n, self.n)) if self.prior is None
                     else np.array(self.prior, dtype=float))
        self.meets = count_meets(self.group_of, self.base)

    def load(self, rounds: Rounds) -> None:
        """Replace the schedule by ``rounds``.

        Parameters
        ----------
        rounds : list of rounds of groups
            The same number of rounds and members as the search was built with.

        Notes
        -----
        O(W·n²) to count the meetings again.
        """
        for w, groups in enumerate(rounds):
            for g, members in enumerate(groups):
                self.group_of[w, members] = g
        self.meets = count_meets(self.group_of, self.base)

    def cost(self) -> float:
        """Penalty minus utility of the current schedule (lower is better).

        Returns
        -------
        float

        Notes
        -----
        O(W·n²).
        """
        return float(schedule_cost(self.group_of, self.meets, self.util, self.penalty,
                                   self.mode == "repeats"))

    def repeated_pairs(self) -> int:
        """Number of repeated meetings: Σ_pairs max(0, meetings − 1), prior included.

        Returns
        -------
        int

        Notes
        -----
        O(n²).
        """
        m = self.meets[np.triu_indices(self.n, 1)]
        return int(np.maximum(np.rint(m) - 1, 0).sum())

    def snapshot(self) -> Rounds:
        """The current schedule as lists of member lists, in group order.

        Returns
        -------
        list of rounds of groups

        Notes
        -----
        O(W·G·n).
        """
        out: Rounds = []
        for w, groups in enumerate(self.rounds):
            out.append([[int(p) for p in np.flatnonzero(self.group_of[w] == g)]
                        for g in range(len(groups))])
        return out

    def run(self, *, time_limit: float, max_iterations: int = 10**9, target: float = -np.inf,
            progress: Callable[[float], None] | None = None) -> tuple[Rounds, float]:
        """Tabu search with perturbation from the best; returns (best schedule, its cost).

        Stops at ``target`` cost, after ``max_iterations`` or ``time_limit`` seconds (the
        compiled steps run in batches of a few milliseconds between looks at the clock).
        The search's state ends at the best schedule.

        Parameters
        ----------
        time_limit : float
            Seconds.
        max_iterations : int
            Iterations at most (a deterministic budget).
        target : float
            A cost at which to stop.
        progress : callable, optional
            Called with the fraction of the time limit used (0..1), at most ~10 times a
            second.

        Returns
        -------
        (list of rounds of groups, float)
            The best schedule and its cost.

        Notes
        -----
        O(W·n²) compiled work per iteration (:func:`graph.schedule_kernel.schedule_steps`).
        """
        start = time.perf_counter()
        current = best = self.cost()
        best_group_of = self.group_of.copy()
        tabu = np.zeros((len(self.rounds), self.n, self.n), dtype=np.int64)
        it = stale = 0
        reported = start
        batch = max(1, min(BATCH, WORK // (len(self.rounds) * self.n * self.n)))
        while it < max_iterations and best > target + 1e-9:
            now = time.perf_counter()
            if now - start > time_limit:
                break
            if progress is not None and now - reported >= 0.1:
                reported = now
                progress(min(1.0, (now - start) / time_limit) if time_limit > 0 else 1.0)
            it, current, best, stale = schedule_steps(
                self.group_of, self.meets, self.util, self.base, best_group_of, tabu,
                self.width, self.penalty, self.mode == "repeats", it, current, best, stale,
                self.patience * self.n, self.tenure[0], self.tenure[1],
                min(batch, max_iterations - it), target, int(self.rng.integers(2**31)))
        self.group_of[:, :] = best_group_of
        self.meets = count_meets(self.group_of, self.base)
        return self.snapshot(), float(best)
