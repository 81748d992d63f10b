"""Tabu search for one-member nodes, driving the compiled steps of :mod:`graph.mdgp.kernel`.

Each step takes the best swap or one-move whose members are not tabu (or any move that beats
the best value seen); moved members stay tabu for a random tenure of 2–10 % of the nodes.
The kernel runs in short batches so the time limit is checked every few milliseconds.
"""

from __future__ import annotations

import time

import numpy as np

from graph.mdgp.kernel import gains_of, tabu_steps
from graph.mdgp.search import TENURE, Problem, State

# Tabu steps between two looks at the clock: a step costs at most ~3 ns per pair of nodes
# (far less once the bound prunes), so a batch of WORK // m² steps stays within tens of
# milliseconds at any size (5 steps at m = 2,000).
BATCH, WORK = 1024, 20_000_000


def tabu_units(problem: Problem, st: State, rng: np.random.Generator, *, stall: int,
               deadline: float) -> State:
    """Tabu search over one-moves and swaps of single members (see ``Problem.tabu``);
    returns the best state seen, ``st`` ends wherever the search stopped."""
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
            problem.w, problem.wmin2, problem.lo, problem.hi, assign, load, gain, value, until, best_assign,
            best_value, step, since, stall, batch, low, high, problem.eps, slack,
            int(rng.integers(2**31)))
        if stuck:
            break
    st.gain = np.ascontiguousarray(gain.T)
    st.value = value
    best_load = np.bincount(best_assign, minlength=problem.groups).astype(np.int64)
    return State(best_assign, best_load,
                 np.ascontiguousarray(gains_of(problem.w, best_assign, problem.groups).T),
                 best_value)
