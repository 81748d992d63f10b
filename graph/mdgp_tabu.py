"""Tabu search for one-member nodes, with the swap-gain matrix kept up to date incrementally.

After a move between groups g and h only the rows and columns of members of g and h change
in the n×n swap-gain matrix, so a step costs O(n·(|g| + |h|) + n·G) numpy work plus one
argmax, instead of rebuilding all n² gains.
"""

from __future__ import annotations

import time

import numpy as np

from graph.mdgp_search import TENURE, Problem, State


class _Gains:
    """Move gains ``delta`` (n×G), swap gains ``swaps`` (n×n, -inf inside a group) and the
    same with tabu nodes barred (``allowed``)."""

    def __init__(self, problem: Problem, st: State) -> None:
        self.p, self.st = problem, st
        self.barred = np.zeros(problem.m)
        self.delta = self._delta()
        a = st.assign
        swaps = self.delta[:, a]
        swaps = swaps + swaps.T
        swaps -= problem.w2
        swaps[a[:, None] == a[None, :]] = -np.inf
        self.swaps = swaps
        self.allowed = swaps.copy()

    def _delta(self) -> np.ndarray:
        st = self.st
        own = st.gain[st.assign, self.p.nodes]
        delta: np.ndarray = st.gain.T - own[:, None]
        return delta

    def refresh(self, groups: tuple[int, int], nodes: np.ndarray) -> None:
        """Recompute after a move touching ``groups``; ``nodes`` changed tabu status."""
        a = self.st.assign
        self.delta = self._delta()
        rows = np.flatnonzero((a == groups[0]) | (a == groups[1]))
        fresh = self.delta[rows][:, a] + self.delta[:, a[rows]].T - self.p.w2[rows]
        fresh[a[rows][:, None] == a[None, :]] = -np.inf
        self.swaps[rows, :] = fresh
        self.swaps[:, rows] = fresh.T
        changed = np.concatenate((rows, nodes))
        masked = self.swaps[changed] + self.barred[changed][:, None] + self.barred[None, :]
        self.allowed[changed, :] = masked
        self.allowed[:, changed] = masked.T

    def moves(self) -> np.ndarray:
        """One-move gains, -inf where the sizes forbid the move or it stays in place."""
        p, st = self.p, self.st
        a = st.assign
        leave = st.load[a] - 1 >= p.lo[a]
        enter = st.load + 1 <= p.hi
        gains = np.where(leave[:, None] & enter[None, :], self.delta, -np.inf)
        gains[p.nodes, a] = -np.inf
        return gains


def tabu_units(problem: Problem, st: State, rng: np.random.Generator, *, stall: int,
               deadline: float) -> State:
    """Tabu search over one-moves and swaps of single members (see ``Problem.tabu``)."""
    gains = _Gains(problem, st)
    best = st.copy()
    until = np.zeros(problem.m, dtype=np.int64)
    low, high = max(2, int(TENURE[0] * problem.m)), max(3, int(TENURE[1] * problem.m))
    slack = bool(np.any(problem.lo < problem.hi))
    step = since = 0
    expired = np.zeros(0, dtype=np.int64)
    while since < stall and time.monotonic() < deadline:
        step += 1
        aspire = best.value - st.value + problem.eps
        k = int(np.argmax(gains.swaps))
        if gains.swaps.flat[k] <= aspire:
            k = int(np.argmax(gains.allowed))
        value, move = gains.swaps.flat[k], None
        if slack:
            moves = gains.moves()
            km = int(np.argmax(moves))
            if moves.flat[km] <= aspire:
                moves += gains.barred[:, None]
                km = int(np.argmax(moves))
            if moves.flat[km] >= value:
                value, move = moves.flat[km], divmod(km, problem.groups)
        if not np.isfinite(value):
            break
        if move is not None:
            i, h = move
            groups: tuple[int, int] = (int(st.assign[i]), h)
            problem.move(st, i, h)
            moved = [i]
        else:
            i, j = divmod(k, problem.m)
            groups = (int(st.assign[i]), int(st.assign[j]))
            problem.swap(st, i, j)
            moved = [i, j]
        for node in moved:
            until[node] = step + rng.integers(low, high + 1)
        gains.barred[moved] = -np.inf
        expired = np.flatnonzero((until < step + 1) & (gains.barred < 0))
        gains.barred[expired] = 0.0
        gains.refresh(groups, expired)
        since += 1
        if st.value > best.value + problem.eps:
            best, since = st.copy(), 0
    return best
