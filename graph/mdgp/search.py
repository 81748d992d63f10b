"""The iterated local search behind :func:`graph.mdgp.solve_groups`: perturb, descend, tabu
search, keep what is at least as good, restart when stuck."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from graph.mdgp.problem import Problem, State
from graph.mdgp.tabu import tabu_blocks, tabu_units

__all__ = ["iterated_search"]

# Tuned on MDGPLIB n=120 (3 s): perturbation strength range as a fraction of the nodes;
# restart after RESTART·m (at least MIN_RESTART) iterations without improving the current
# solution; tabu phase length (moves without a new best) in units of m.
STRENGTH = (0.05, 0.15)
RESTART = 0.05
MIN_RESTART = 5
STALL = 5.0


def iterated_search(
    problem: Problem,
    rng: np.random.Generator,
    *,
    deadline: float,
    iterations: int | None,
    initial: np.ndarray | None,
    progress: Callable[[float], None] | None,
) -> State:
    """Iterated tabu search with restarts; returns the best state found.

    Each iteration perturbs the current solution by 5–15 % random swaps, descends (batched
    best improvement), runs a tabu search until ``STALL·m`` moves bring no new best, and
    keeps the result when it is at least as good. After ``RESTART·m`` (min 5) iterations
    without beating the current solution it restarts from a fresh grouping (the size
    configuration matters on ``ds`` instances, and short runs from several starts beat one
    long run in a 3 s budget); it stops after ``5·m`` (min 50) iterations without a new
    best, after ``iterations`` in all, or at ``deadline``.

    Parameters
    ----------
    problem : Problem
        The contracted instance.
    rng : numpy.random.Generator
        All random choices; the same generator state gives the same search.
    deadline : float
        ``time.monotonic()`` value at which the search stops.
    iterations : int or None
        Cap on iterations (a deterministic budget); None: no cap.
    initial : ndarray, optional
        A group per node to start from (-1: place anywhere).
    progress : callable, optional
        Called with the fraction done (0..1), at most ~10 times a second.

    Returns
    -------
    State
        The best grouping found, its state computed afresh.

    Raises
    ------
    InfeasibleError
        When no start fits the node sizes into the bounds.

    Examples
    --------
    >>> w = np.array([[0, 5, 1, 1], [5, 0, 1, 1], [1, 1, 0, 5], [1, 1, 5, 0]], dtype=float)
    >>> problem = Problem(w, np.ones(4, dtype=np.int64), [(2, 2), (2, 2)])
    >>> best = iterated_search(problem, np.random.default_rng(1), deadline=time.monotonic() + 60,
    ...                        iterations=5, initial=None, progress=None)
    >>> best.value, bool(best.assign[0] == best.assign[1])
    (10.0, True)

    Notes
    -----
    Each iteration costs one descent and one tabu phase of ``STALL·m`` steps or more.
    """
    started = time.monotonic()
    current = problem.start(rng, initial)
    problem.descend(current, deadline)
    best = current.copy()
    patience, restart_after = max(50, 5 * problem.m), max(MIN_RESTART, int(RESTART * problem.m))
    since_best = since_current = 0
    count, reported = 0, started
    while since_best < patience and (iterations is None or count < iterations):
        now = time.monotonic()
        if now >= deadline:
            break
        if progress is not None and now - reported >= 0.1:
            done = max((now - started) / max(deadline - started, 1e-9),
                       since_best / patience, count / iterations if iterations else 0.0)
            progress(min(done, 1.0))
            reported = now
        count += 1
        restart = since_current >= restart_after
        trial = _trial(problem, current, rng, restart=restart, deadline=deadline)
        since_best += 1
        since_current = 1 if restart else since_current + 1
        if trial.value > current.value + problem.eps:
            since_current = 0
        if restart or trial.value >= current.value - problem.eps:
            current = trial
        if current.value > best.value + problem.eps:
            best, since_best = current.copy(), 0
    return problem.state(best.assign)


def _trial(problem: Problem, current: State, rng: np.random.Generator, *, restart: bool,
           deadline: float) -> State:
    """A fresh start (``restart``) or a perturbed copy of ``current``, improved by a descent
    and then a tabu phase."""
    if restart:
        trial = problem.start(rng)
    else:
        trial = current.copy()
        low, high = max(2, int(STRENGTH[0] * problem.m)), max(3, int(STRENGTH[1] * problem.m))
        problem.perturb(trial, int(rng.integers(low, high + 1)), rng)
    problem.descend(trial, deadline)
    if STALL:
        search = tabu_units if problem.unit else tabu_blocks
        trial = search(problem, trial, rng, stall=max(20, int(STALL * problem.m)),
                       deadline=deadline)
    return trial
