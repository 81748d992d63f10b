"""Joint local search over a whole multi-round schedule (tabu search on swaps).

One engine serves the Social Golfer Problem and weighted multi-round planning: the state is
a group index per (round, member), the meet-count matrix ``M`` (prior meetings + this
schedule), and the move is *swap two members of different groups in the same round*
(Dotú & Van Hentenryck 2005). Every move's gain is evaluated at once with numpy from the
group-sum tensors ``add @ H`` and ``remove @ H``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Rounds = list[list[list[int]]]
BIG = 1e9


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
    One iteration costs O(R·n²·G) numpy work (all swap gains at once) plus O(n) to apply.
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
        self._recount()

    def _recount(self) -> None:
        W = len(self.rounds)
        self.onehot = np.zeros((W, self.n, self.width))
        self.onehot[np.arange(W)[:, None], np.arange(self.n)[None, :], self.group_of] = 1.0
        same = np.einsum("wpg,wqg->pq", self.onehot, self.onehot)
        np.fill_diagonal(same, 0.0)
        base = np.zeros((self.n, self.n)) if self.prior is None else np.array(self.prior, float)
        self.meets = base + same

    def cost(self) -> float:
        """Penalty minus utility of the current schedule (lower is better)."""
        upper = np.triu_indices(self.n, 1)
        m = self.meets[upper]
        f = np.maximum(m - 1, 0) if self.mode == "repeats" else m * m
        same = np.einsum("wpg,wqg->pq", self.onehot, self.onehot)
        return float(self.penalty * f.sum() - (self.util * same).sum() / 2)

    def repeated_pairs(self) -> int:
        """Number of repeated meetings: Σ_pairs max(0, meetings − 1), prior included."""
        m = self.meets[np.triu_indices(self.n, 1)]
        return int(np.maximum(np.rint(m) - 1, 0).sum())

    def _step_costs(self) -> tuple[np.ndarray, np.ndarray]:
        m = self.meets
        if self.mode == "repeats":
            inc, dec = (m >= 1).astype(float), -(m >= 2).astype(float)
        else:
            inc, dec = 2 * m + 1, 1 - 2 * m
        add = self.penalty * inc - self.util
        rem = self.penalty * dec + self.util
        np.fill_diagonal(add, 0.0)
        np.fill_diagonal(rem, 0.0)
        return add, rem

    def deltas(self) -> np.ndarray:
        """Cost change of every swap: array (rounds, n, n); same-group entries are +inf."""
        add, rem = self._step_costs()
        g = self.group_of
        removal = np.take_along_axis(rem @ self.onehot, g[:, :, None], axis=2)[:, :, 0]
        added = np.take_along_axis(add @ self.onehot, np.broadcast_to(
            g[:, None, :], (len(g), self.n, self.n)), axis=2)
        d = removal[:, :, None] + removal[:, None, :] + added + added.transpose(0, 2, 1)
        d -= 2 * add[None]
        d[g[:, :, None] == g[:, None, :]] = np.inf
        if self.mode == "repeats":
            conflicted = removal < 0
            d[~(conflicted[:, :, None] | conflicted[:, None, :])] = np.inf
        return d

    def swap(self, w: int, a: int, b: int) -> None:
        """Exchange members ``a`` and ``b`` (in different groups) in round ``w``."""
        ga, gb = self.group_of[w, a], self.group_of[w, b]
        col_a, col_b = self.onehot[w, :, ga].copy(), self.onehot[w, :, gb].copy()
        col_a[a], col_b[b] = 0.0, 0.0
        for member, leave, join in ((a, col_a, col_b), (b, col_b, col_a)):
            self.meets[member] += join - leave
            self.meets[:, member] += join - leave
        self.group_of[w, a], self.group_of[w, b] = gb, ga
        self.onehot[w, a, ga], self.onehot[w, a, gb] = 0.0, 1.0
        self.onehot[w, b, gb], self.onehot[w, b, ga] = 0.0, 1.0

    def snapshot(self) -> Rounds:
        """The schedule as lists of member lists, in group order."""
        out: Rounds = []
        for w, groups in enumerate(self.rounds):
            out.append([[int(p) for p in np.flatnonzero(self.group_of[w] == g)]
                        for g in range(len(groups))])
        return out

    def load(self, rounds: Rounds) -> None:
        """Replace the state by ``rounds`` (same shape)."""
        for w, groups in enumerate(rounds):
            for g, members in enumerate(groups):
                self.group_of[w, members] = g
        self._recount()

    def run(self, *, time_limit: float, max_iterations: int = 10**9, target: float = -np.inf,
            progress: Callable[[float], None] | None = None) -> tuple[Rounds, float]:
        """Tabu search with perturbation from the best; returns (best schedule, its cost).

        Stops at ``target`` cost, after ``max_iterations`` or ``time_limit`` seconds.
        """
        start = time.perf_counter()
        current = best = self.cost()
        best_rounds = self.snapshot()
        tabu = np.zeros((len(self.rounds), self.n, self.n), dtype=np.int64)
        stale, last_report = 0, start
        for it in range(1, max_iterations + 1):
            if best <= target + 1e-9:
                break
            now = time.perf_counter()
            if now - start > time_limit:
                break
            if progress is not None and now - last_report > 0.1:
                progress(min(1.0, (now - start) / time_limit))
                last_report = now
            d = self.deltas()
            allowed = np.where((tabu > it) & (current + d >= best - 1e-9), np.inf, d)
            allowed = allowed + self.rng.random(allowed.shape) * 1e-7
            flat = int(np.argmin(allowed))
            if not np.isfinite(allowed.flat[flat]):
                self._perturb(best_rounds)
                current, stale = self.cost(), 0
                continue
            w, a, b = np.unravel_index(flat, allowed.shape)
            self.swap(int(w), int(a), int(b))
            current += float(d[w, a, b])
            tenure = int(self.rng.integers(*self.tenure))
            tabu[w, a, b] = tabu[w, b, a] = it + tenure
            if current < best - 1e-9:
                best, best_rounds, stale = current, self.snapshot(), 0
            else:
                stale += 1
            if stale > self.patience * self.n:
                self._perturb(best_rounds)
                current, stale = self.cost(), 0
        return best_rounds, best

    def _perturb(self, rounds: Rounds) -> None:
        """Restart from ``rounds`` with a few random swaps (escapes a plateau)."""
        self.load(rounds)
        for _ in range(max(2, self.n // 8)):
            w = int(self.rng.integers(len(self.rounds)))
            a, b = (int(x) for x in self.rng.choice(self.n, 2, replace=False))
            if self.group_of[w, a] != self.group_of[w, b]:
                self.swap(w, a, b)
