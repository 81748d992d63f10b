"""Running the annealing chains of :mod:`graph.plan`: what every chain of one search shares,
and the chains themselves, side by side in threads (the compiled kernel releases the GIL),
each paced by the clock once its steps cannot fit the time left."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Search", "chain", "movable_members", "run_chains"]

#: Share of the schedule over which rule-break costs rise from 0.1 % to their full weight:
#: early on the search may pass through broken rules to reach better regions.
RAMP = 0.5
#: Steps between looks at the clock: ``FIRST_BATCH``, then ``BATCH`` (the same seed, the same
#: plan), or a twentieth of the time once the clock paces the search over ``PACE_MARGIN`` of it.
BATCH, MIN_BATCH, FIRST_BATCH, PACE_MARGIN = 200_000, 5_000, 20_000, 0.9


@dataclass(frozen=True)
class Search:
    """What every chain of one search shares (read only)."""

    pins: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray
    hard: np.ndarray
    tp: np.ndarray
    tt: np.ndarray
    kind: np.ndarray
    tc: np.ndarray
    ret: np.ndarray
    cols: np.ndarray
    cover_weight: float
    penalties: np.ndarray
    movable: np.ndarray
    nfree: np.ndarray
    home: np.ndarray
    keep: float
    total: int
    t0: float
    directed: float
    giver_ptr: np.ndarray
    giver_idx: np.ndarray
    aside: bool


def movable_members(pins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The members each round may move.

    Parameters
    ----------
    pins : ndarray of int64
        rounds × n: the group each member is pinned to (-1: free).

    Returns
    -------
    (ndarray, ndarray)
        ``movable[r, :nfree[r]]``: the members of round r who are not pinned.
    """
    rounds, n = pins.shape
    movable = np.zeros((rounds, n), dtype=np.int64)
    nfree = np.zeros(rounds, dtype=np.int64)
    for r in range(rounds):
        free = np.flatnonzero(pins[r] < 0)
        movable[r, :len(free)], nfree[r] = free, len(free)
    return movable, nfree


def run_chains(starts: list[np.ndarray], states: list[tuple[Any, ...]], fixed: Search,
               seed: int | None, progress: Callable[[float], None] | None, *,
               deadline: float) -> list[int]:
    """Anneal every start in place, side by side.

    Parameters
    ----------
    starts, states : lists
        Each chain's plan (updated in place) and its state (:func:`graph.plan.state.build`).
    fixed : Search
        What the chains share.
    seed : int, optional
        Chain k draws from ``seed + 1 + k``.
    progress : callable, optional
        Told the first chain's fraction done.
    deadline : float
        ``time.perf_counter()`` by which every chain ends.

    Returns
    -------
    list of int
        The steps each chain ran.
    """
    runs = [(assign, state, None if seed is None else seed + 1 + k,
             progress if k == 0 else None)
            for k, (assign, state) in enumerate(zip(starts, states, strict=True))]
    with ThreadPoolExecutor(max_workers=max(1, len(runs) - 1)) as pool:
        # The first chain runs here, so progress is reported from the caller's thread.
        others = [pool.submit(chain, *run, fixed, deadline) for run in runs[1:]]
        return [chain(*runs[0], fixed, deadline), *(future.result() for future in others)]


def chain(assign: np.ndarray, state: tuple[Any, ...], seed: int | None,
          progress: Callable[[float], None] | None, s: Search, deadline: float) -> int:
    """One annealing chain on ``assign`` (in place), in batches.

    Once the steps left cannot fit the time at the pace so far, the clock paces the schedule:
    the chain skips ahead and ends with one cooled batch, rules strict (not hot where time
    ran out).

    Parameters
    ----------
    assign, state, seed, progress, deadline
        As one chain's entries of :func:`run_chains`.
    s : Search
        What the chains share.

    Returns
    -------
    int
        The steps it ran.
    """
    from graph.plan.kernel import anneal  # numba: loaded on first solve
    last = s.total + s.total // 10  # a tenth more at temperature 0: a final descent
    members, count, slot, sup, need, left, cnt, meets, deficit = state
    stream = np.random.default_rng(seed)
    value, position, ran, size = 0.0, 0, 0, min(FIRST_BATCH, last)
    began = time.perf_counter()
    span = max(deadline - began, 1e-9) * PACE_MARGIN
    final, warm = False, (began, 0)
    while position < last and not final:
        now = time.perf_counter()
        if ran:
            if not warm[1]:  # the first batch also loads the compiled kernel: not a pace
                warm = (now, ran)
            pace = (ran - warm[1]) / (now - warm[0]) if ran > warm[1] else float("inf")
            size = BATCH
            if now >= deadline or now + (last - position) / pace > began + span:
                size = int(min(BATCH, max(MIN_BATCH, pace * span / 20)))
                clock = int(last * (now - began) / span)
                position = max(position, min(clock, last - size))
                final = now >= deadline or position >= last - size  # one cooled batch to end
        batch = min(size, last - position)
        value = float(anneal(assign, s.pins, s.lo, s.hi, members, count, slot, sup, need,
                             left, cnt, meets, deficit, s.w, s.hard, s.tp, s.tt, s.kind, s.tc,
                             s.ret, s.cols, s.cover_weight, s.penalties, s.movable, s.nfree, s.home, s.keep, value, position, batch, s.total, s.t0,
                             s.t0 * 1e-3, int(stream.integers(2**31)), RAMP, s.directed,
                             s.giver_ptr, s.giver_idx, s.aside))
        position += batch
        ran += batch
        if progress is not None:
            progress(min(1.0, position / last))
    return ran

