"""The MDGP as the local searches see it: contracted nodes, a grouping's state, its moves.

A node is one member or one locked block of members (``sizes`` holds how many). The state
keeps the gain matrix ``gain[g, i]`` = sum of ``w[i, j]`` over nodes ``j`` in group ``g``
(stored group-major so a group's row updates contiguously); every one-move and swap is
valued from it in O(1), and a whole neighbourhood at once with numpy broadcasting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from graph.errors import InfeasibleError

__all__ = ["Problem", "State"]

# Tuned on MDGPLIB n=120 (3 s): extra random one-moves per perturbation swap; share of
# starts with the most uneven sizes the bounds allow (when weights are mostly positive).
MOVES = 0.0
UNEVEN = 1.0


@dataclass
class State:
    """One grouping of the nodes: assignment, group sizes, gain matrix and objective."""

    assign: np.ndarray
    load: np.ndarray
    gain: np.ndarray
    value: float

    def copy(self) -> State:
        """An independent copy, arrays copied in O(m·G).

        Returns
        -------
        State
        """
        return State(self.assign.copy(), self.load.copy(), self.gain.copy(), self.value)


class Problem:
    """Weights, node sizes and group bounds of one contracted MDGP instance, and the moves of
    a local search over its groupings (each keeps a :class:`State` exact).

    Parameters
    ----------
    weights : ndarray
        m×m symmetric weights between nodes, zero diagonal.
    sizes : ndarray of int64
        Members in each node (1, or a locked block's size).
    bounds : list of (int, int)
        ``(min, max)`` members of each group.

    Examples
    --------
    Pairs (0, 1) and (2, 3) weigh 5, every other pair 1:

    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> problem = Problem(w, np.ones(4, dtype=np.int64), [(2, 2), (2, 2)])
    >>> st = problem.state(np.array([0, 1, 0, 1])); st.value
    2.0
    >>> float(problem.swap_gains(st).max())  # swapping 1 and 2 (or 0 and 3)
    8.0
    >>> problem.swap(st, 1, 2); st.value, st.assign.tolist()
    (10.0, [0, 0, 1, 1])
    >>> float(problem.move_gains(st).max())  # sizes (2, 2): no one-move is allowed
    -inf
    >>> problem.perturb(st, 1, np.random.default_rng(2)); st.value
    2.0
    >>> problem.descend(st); st.value
    10.0
    >>> problem.start(np.random.default_rng(0)).load.tolist()
    [2, 2]
    """

    def __init__(self, weights: np.ndarray, sizes: np.ndarray, bounds: list[tuple[int, int]]):
        self.w = weights
        self.w2 = 2.0 * weights
        off = weights[~np.eye(len(weights), dtype=bool)]
        self.wmin2 = 2.0 * float(off.min()) if off.size else 0.0  # bounds swap gains
        self.sizes = sizes
        self.lo = np.array([lo for lo, _ in bounds], dtype=np.int64)
        self.hi = np.array([hi for _, hi in bounds], dtype=np.int64)
        self.m, self.groups = len(sizes), len(bounds)
        self.unit = bool(np.all(sizes == 1))
        self.eps = 1e-9 * max(1.0, float(np.abs(weights).max(initial=0.0)))
        self.nodes = np.arange(self.m)
        self.positive = float(weights.sum()) > 0

    def state(self, assign: np.ndarray) -> State:
        """The full state of an assignment, computed from scratch.

        Parameters
        ----------
        assign : ndarray of int64
            Each node's group (kept, not copied).

        Returns
        -------
        State

        Notes
        -----
        O(m²·G).
        """
        onehot = np.zeros((self.groups, self.m))
        onehot[assign, self.nodes] = 1.0
        gain = onehot @ self.w
        load = np.bincount(assign, weights=self.sizes, minlength=self.groups).astype(np.int64)
        value = 0.5 * float(gain[assign, self.nodes].sum())
        return State(assign, load, gain, value)

    def fill(self, assign: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
        """Place unassigned nodes (-1): groups below their minimum first, then any with room.

        Parameters
        ----------
        assign : ndarray of int64
            Each node's group, -1 for nodes to place (not modified).
        rng : numpy.random.Generator
            Draws the order of the nodes and the groups among equals.

        Returns
        -------
        ndarray or None
            The completed assignment, or None when the nodes do not fit this way.

        Notes
        -----
        O(m·G).
        """
        assign = assign.copy()
        load = np.bincount(assign[assign >= 0], weights=self.sizes[assign >= 0],
                           minlength=self.groups).astype(np.int64)
        free = rng.permutation(np.flatnonzero(assign < 0))
        order = free[np.argsort(-self.sizes[free], kind="stable")]
        for node in order:
            size = self.sizes[node]
            room = np.flatnonzero(load + size <= self.hi)
            if room.size == 0:
                return None
            deficit = (self.lo - load)[room]
            if deficit.max() > 0:
                room = room[deficit == deficit.max()]
            group = int(rng.choice(room))
            assign[node], load[group] = group, load[group] + size
        return assign if bool(np.all(load >= self.lo)) else None

    def start(self, rng: np.random.Generator, initial: np.ndarray | None = None) -> State:
        """A random feasible state, or ``initial`` with its size violations repaired.

        Parameters
        ----------
        rng : numpy.random.Generator
        initial : ndarray of int64, optional
            A group per node (-1: anywhere) to start from.

        Returns
        -------
        State

        Raises
        ------
        InfeasibleError
            When 50 attempts fit no grouping of the node sizes into the bounds.

        Notes
        -----
        O(m²·G) per attempt.
        """
        if initial is None and self.unit and self.positive and rng.random() < UNEVEN:
            return self.state(self._unbalanced(rng))
        for attempt in range(50):
            assign = np.full(self.m, -1, dtype=np.int64)
            if initial is not None and attempt == 0:
                assign = self._trim(initial.copy(), rng)
            filled = self.fill(assign, rng)
            if filled is not None:
                return self.state(filled)
        raise InfeasibleError("the locked sets cannot be fitted into the group sizes")

    def _unbalanced(self, rng: np.random.Generator) -> np.ndarray:
        """A random grouping whose sizes are as uneven as the bounds allow.

        With mostly positive weights, more pairs inside groups pay: the sum of squared sizes
        is largest when the groups with the highest maxima are filled first.
        """
        target = self.lo.copy()
        extra = self.m - int(target.sum())
        for group in sorted(rng.permutation(self.groups), key=lambda g: -self.hi[g]):
            add = min(extra, int(self.hi[group] - self.lo[group]))
            target[group] += add
            extra -= add
        return np.repeat(np.arange(self.groups), target)[rng.permutation(self.m)]

    def _trim(self, assign: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Unassign nodes from groups above their maximum, and enough to fill those below."""
        load = np.bincount(assign, weights=self.sizes, minlength=self.groups).astype(np.int64)
        for group in range(self.groups):
            members = list(rng.permutation(np.flatnonzero(assign == group)))
            while load[group] > self.hi[group] and members:
                node = members.pop()
                assign[node], load[group] = -1, load[group] - self.sizes[node]
        deficit = int(np.maximum(self.lo - load, 0).sum())
        spare = [n for n in rng.permutation(self.m) if assign[n] >= 0]
        while deficit > self.sizes[assign < 0].sum() and spare:
            node = spare.pop()
            group = assign[node]
            if load[group] - self.sizes[node] >= self.lo[group]:
                assign[node], load[group] = -1, load[group] - self.sizes[node]
        return assign

    # -- moves ---------------------------------------------------------------------------
    def move(self, st: State, node: int, group: int) -> None:
        """Move ``node`` to ``group`` in ``st``, updated in place in O(m).

        Parameters
        ----------
        st : State
        node, group : int
        """
        old = st.assign[node]
        st.value += float(st.gain[group, node] - st.gain[old, node])
        column = self.w[node]
        st.gain[old] -= column
        st.gain[group] += column
        st.assign[node] = group
        st.load[old] -= self.sizes[node]
        st.load[group] += self.sizes[node]

    def swap(self, st: State, i: int, j: int) -> None:
        """Swap the groups of nodes ``i`` and ``j`` in ``st``, updated in place in O(m).

        Parameters
        ----------
        st : State
        i, j : int
            Nodes in different groups.
        """
        g, h = st.assign[i], st.assign[j]
        st.value += float(st.gain[h, i] - st.gain[g, i] + st.gain[g, j] - st.gain[h, j]
                          - self.w2[i, j])
        diff = self.w[j] - self.w[i]
        st.gain[g] += diff
        st.gain[h] -= diff
        st.assign[i], st.assign[j] = h, g
        shift = self.sizes[j] - self.sizes[i]
        st.load[g] += shift
        st.load[h] -= shift

    # -- neighbourhoods ------------------------------------------------------------------
    def move_gains(self, st: State) -> np.ndarray:
        """The gain of moving each node to each group.

        Parameters
        ----------
        st : State

        Returns
        -------
        ndarray
            m × G: ``gains[i, h]`` of moving node i to group h, -inf where the sizes forbid
            it and for i's own group.

        Notes
        -----
        O(m·G).
        """
        own = st.gain[st.assign, self.nodes]
        gains = st.gain.T - own[:, None]
        leave = st.load[st.assign] - self.sizes >= self.lo[st.assign]
        enter = st.load[None, :] + self.sizes[:, None] <= self.hi[None, :]
        ok = leave[:, None] & enter
        ok[self.nodes, st.assign] = False
        return np.where(ok, gains, -np.inf)

    def swap_gains(self, st: State) -> np.ndarray:
        """The gain of swapping each pair of nodes.

        Parameters
        ----------
        st : State

        Returns
        -------
        ndarray
            m × m: ``gains[i, j]`` of swapping i and j where group(i) < group(j) and the
            sizes allow it, -inf elsewhere.

        Notes
        -----
        O(m²).
        """
        a = st.assign
        own = st.gain[a, self.nodes]
        other = st.gain[a]  # other[j, i] = gain of node i towards group(j)
        gains = other.T + other
        gains -= own[:, None]
        gains -= own[None, :]
        gains -= self.w2
        ok = a[:, None] < a[None, :]
        if not self.unit:
            shift = self.sizes[None, :] - self.sizes[:, None]
            first = st.load[a][:, None] + shift
            second = st.load[a][None, :] - shift
            ok &= (first >= self.lo[a][:, None]) & (first <= self.hi[a][:, None])
            ok &= (second >= self.lo[a][None, :]) & (second <= self.hi[a][None, :])
        return np.where(ok, gains, -np.inf)

    def descend(self, st: State, deadline: float = float("inf")) -> None:
        """Best-improvement local search over one-moves and swaps until a local optimum.

        Each round applies, in decreasing order of gain, every improving move whose two
        groups no earlier move of the round touched — their gains stay exact.

        Parameters
        ----------
        st : State
            Updated in place.
        deadline : float
            ``time.monotonic()`` value at which to stop early.

        Notes
        -----
        O(m² + m·G) numpy work per round.
        """
        while time.monotonic() < deadline:
            candidates = self._candidates(st)
            if not candidates:
                return
            touched = np.zeros(self.groups, dtype=bool)
            for _, kind, i, j in candidates:
                g = st.assign[i]
                h = j if kind == 0 else st.assign[j]
                if touched[g] or touched[h]:
                    continue
                touched[g] = touched[h] = True
                if kind == 0:
                    self.move(st, i, j)
                else:
                    self.swap(st, i, j)

    def _candidates(self, st: State) -> list[tuple[float, int, int, int]]:
        found: list[tuple[float, int, int, int]] = []
        limit = 4 * self.groups
        for kind, gains in ((0, self.move_gains(st)), (1, self.swap_gains(st))):
            flat = gains.ravel()
            good = np.flatnonzero(flat > self.eps)
            if good.size > limit:
                good = good[np.argpartition(-flat[good], limit)[:limit]]
            cols = gains.shape[1]
            found.extend((float(flat[k]), kind, int(k // cols), int(k % cols)) for k in good)
        found.sort(key=lambda item: -item[0])
        return found

    def perturb(self, st: State, strength: int, rng: np.random.Generator) -> None:
        """``strength`` random swaps between groups (same-size nodes when blocks exist), and
        random one-moves for any swaps not made (with two groups or more).

        Parameters
        ----------
        st : State
            Updated in place.
        strength : int
            Swaps to make.
        rng : numpy.random.Generator

        Notes
        -----
        O(strength·m), plus O(m·G) per one-move.
        """
        pairs = rng.integers(0, self.m, size=(strength * 3, 2))
        done = 0
        for i, j in pairs:
            if done == strength:
                break
            if st.assign[i] == st.assign[j] or self.sizes[i] != self.sizes[j]:
                continue
            self.swap(st, int(i), int(j))
            done += 1
        if self.groups > 1:
            self._random_moves(st, strength - done + int(MOVES * strength), rng)

    def _random_moves(self, st: State, count: int, rng: np.random.Generator) -> None:
        for node in rng.integers(0, self.m, size=count):
            gains = self.move_gains(st)[node]
            room = np.flatnonzero(np.isfinite(gains))
            if room.size:
                self.move(st, int(node), int(rng.choice(room)))
