"""Tabu search from a grouping: always take the best move whose nodes are not tabu.

Moved nodes stay tabu for a random tenure of 2–10 % of the nodes unless the move beats the
best value seen (aspiration). :func:`tabu_units`, for one-member nodes, drives the compiled
steps of :mod:`graph.mdgp.kernel` in short batches so the time limit is checked every few
milliseconds; :func:`tabu_blocks` values whole neighbourhoods with numpy, for nodes that
are locked blocks of members.
"""

from __future__ import annotations

import time

import numpy as np

from graph.mdgp.kernel import gains_of, tabu_steps
from graph.mdgp.problem import Problem, State

__all__ = ["tabu_blocks", "tabu_units"]

# Tuned on MDGPLIB n=120 (3 s): tabu tenure range as a fraction of the nodes.
TENURE = (0.02, 0.1)
# Tabu steps between two looks at the clock: a step costs at most ~3 ns per pair of nodes
# (far less once the bound prunes), so a batch of WORK // m² steps stays within tens of
# milliseconds at any size (5 steps at m = 2,000).
BATCH, WORK = 1024, 20_000_000


def tabu_units(problem: Problem, st: State, rng: np.random.Generator, *, stall: int,
               deadline: float) -> State:
    """Tabu search over one-moves and swaps of single members, in compiled steps.

    Parameters
    ----------
    problem : Problem
        A problem whose nodes are all single members (``problem.unit``).
    st : State
        Where the search starts; it ends wherever the search stopped.
    rng : numpy.random.Generator
        Seeds each batch of compiled steps (tenures, tie-breaks).
    stall : int
        Moves without a new best value after which the search stops.
    deadline : float
        ``time.monotonic()`` value at which the search stops.

    Returns
    -------
    State
        The best state seen (a new object, with its gain matrix).

    Examples
    --------
    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> problem = Problem(w, np.ones(4, dtype=np.int64), [(2, 2), (2, 2)])
    >>> start = problem.state(np.array([0, 1, 0, 1]))
    >>> tabu_units(problem, start, np.random.default_rng(0), stall=20, deadline=1e12).value
    10.0

    Notes
    -----
    A step costs O(m·G) plus the pruned swap scan, O(m²) at worst (see the kernel).
    """
    assign, load = st.assign, st.load
    gain = np.ascontiguousarray(st.gain.T)
    until = np.zeros(problem.m, dtype=np.int64)
    best_assign = assign.copy()
    low, high = max(2, int(TENURE[0] * problem.m)), max(3, int(TENURE[1] * problem.m))
    slack = bool(np.any(problem.lo < problem.hi))
    value, best_value, step, since = st.value, st.value, 0, 0
    batch = max(1, min(BATCH, WORK // (problem.m * problem.m)))
    while since < stall and time.monotonic() < deadline:
        value, best_value, step, since, stuck = tabu_steps(
            problem.w, problem.wmin2, problem.lo, problem.hi, assign, load, gain, value, until,
            best_assign, best_value, step, since, stall, batch, low, high, problem.eps, slack,
            int(rng.integers(2**31)))
        if stuck:
            break
    st.gain = np.ascontiguousarray(gain.T)
    st.value = value
    best_load = np.bincount(best_assign, minlength=problem.groups).astype(np.int64)
    return State(best_assign, best_load,
                 np.ascontiguousarray(gains_of(problem.w, best_assign, problem.groups).T),
                 best_value)


def tabu_blocks(problem: Problem, st: State, rng: np.random.Generator, *, stall: int,
                deadline: float) -> State:
    """Tabu search over one-moves and swaps of nodes of any size, valued with numpy.

    Parameters
    ----------
    problem : Problem
    st : State
        Where the search starts; it ends wherever the search stopped.
    rng : numpy.random.Generator
        Draws the tabu tenures.
    stall : int
        Moves without a new best value after which the search stops.
    deadline : float
        ``time.monotonic()`` value at which the search stops.

    Returns
    -------
    State
        The best state seen (a copy).

    Examples
    --------
    Node 0 is a locked pair of members, the others single members:

    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> problem = Problem(w, np.array([2, 1, 1, 1], dtype=np.int64), [(3, 3), (2, 2)])
    >>> start = problem.state(np.array([0, 1, 0, 1]))
    >>> start.value, tabu_blocks(problem, start, np.random.default_rng(0), stall=20,
    ...                          deadline=1e12).value
    (2.0, 10.0)

    Notes
    -----
    Each step values all m·G moves and m² swaps: O(m² + m·G) numpy work.
    """
    best = st.copy()
    until = np.zeros(problem.m, dtype=np.int64)
    low, high = max(2, int(TENURE[0] * problem.m)), max(3, int(TENURE[1] * problem.m))
    step = since = 0
    while since < stall and time.monotonic() < deadline:
        step += 1
        moves, swaps = problem.move_gains(st), problem.swap_gains(st)
        k_move, k_swap = int(np.argmax(moves)), int(np.argmax(swaps))
        if max(moves.flat[k_move], swaps.flat[k_swap]) <= best.value - st.value + problem.eps:
            barred = np.where(until < step, 0.0, -np.inf)
            moves += barred[:, None]
            swaps += barred[:, None]
            swaps += barred[None, :]
            k_move, k_swap = int(np.argmax(moves)), int(np.argmax(swaps))
        v_move, v_swap = moves.flat[k_move], swaps.flat[k_swap]
        if not np.isfinite(max(v_move, v_swap)):
            break
        if v_move >= v_swap:
            i, g = divmod(k_move, problem.groups)
            problem.move(st, i, g)
            until[i] = step + rng.integers(low, high + 1)
        else:
            i, j = divmod(k_swap, problem.m)
            problem.swap(st, i, j)
            until[i] = step + rng.integers(low, high + 1)
            until[j] = step + rng.integers(low, high + 1)
        since += 1
        if st.value > best.value + problem.eps:
            best, since = st.copy(), 0
    return best
