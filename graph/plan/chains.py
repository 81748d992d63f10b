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

__all__ = ["Pacer", "Search", "chain", "movable_members", "run_chains"]

#: Share of the schedule over which rule-break costs rise from 0.1 % to their full weight:
#: early on the search may pass through broken rules to reach better regions.
RAMP = 0.5
#: Steps between looks at the clock: ``FIRST_BATCH``, then ``BATCH`` (the same seed, the same
#: plan), or a twentieth of the time once the clock paces the search over ``PACE_MARGIN`` of it.
BATCH, MIN_BATCH, FIRST_BATCH, PACE_MARGIN = 200_000, 5_000, 20_000, 0.9
#: Steps past the ramp run faster than those before it (fewer moves are taken once rules cost
#: their full weight): 1.0–2.3 times as fast on the cohorts of ``bench/``. Until a chain gets
#: there it counts on ``COLD_PACE`` times its pace so far, then on what it measures.
COLD_PACE = 2.0
#: Share of the time before a chain trusts its pace: the first, hottest steps are the slowest.
FIRST_LOOK = 0.2


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

    Once the steps left cannot fit the time (``Pacer``), the clock paces the schedule:
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
    value, position, size = 0.0, 0, min(FIRST_BATCH, last)
    pacer = Pacer(time.perf_counter(), deadline, int(RAMP * s.total), last)
    final = False
    while position < last and not final:
        if pacer.ran:
            size, position, final = pacer.pace(time.perf_counter(), position)
        batch = min(size, last - position)
        value = float(anneal(assign, s.pins, s.lo, s.hi, members, count, slot, sup, need,
                             left, cnt, meets, deficit, s.w, s.hard, s.tp, s.tt, s.kind, s.tc,
                             s.ret, s.cols, s.cover_weight, s.penalties, s.movable, s.nfree, s.home, s.keep, value, position, batch, s.total, s.t0,
                             s.t0 * 1e-3, int(stream.integers(2**31)), RAMP, s.directed,
                             s.giver_ptr, s.giver_idx, s.aside))
        position += batch
        pacer.ran += batch
        if progress is not None:
            progress(min(1.0, position / last))
    return pacer.ran


class Pacer:
    """When one chain looks at the clock: how far it has run, how fast, and where the clock
    puts it once its steps left cannot fit ``PACE_MARGIN`` of its time.

    Parameters
    ----------
    began, deadline : float
        ``time.perf_counter()`` when the chain began and by when it must end.
    ramp_end : int
        The step from which rule-break costs hold their full weight (faster steps follow).
    last : int
        The chain's last step.
    """

    def __init__(self, began: float, deadline: float, ramp_end: int, last: int) -> None:
        self.began, self.deadline, self.ramp_end, self.last = began, deadline, ramp_end, last
        self.span = max(deadline - began, 1e-9) * PACE_MARGIN
        self.ran = 0
        self.warm: tuple[float, int] | None = None  # after the first batch (kernel loaded)
        self.cold: tuple[float, int] | None = None  # once past the ramp

    def pace(self, now: float, position: int) -> tuple[int, int, bool]:
        """The next batch at ``now``, the chain having reached ``position`` (``ran`` steps).

        Parameters
        ----------
        now : float
            ``time.perf_counter()``.
        position : int
            The step the chain's schedule has reached.

        Returns
        -------
        (int, int, bool)
            The next batch's size, the position it starts from (ahead of ``position`` when
            the clock paces the chain) and whether it is the chain's last, cooled batch.
        """
        if self.warm is None:
            self.warm = (now, self.ran)
        if self.cold is None and position >= self.ramp_end:
            self.cold = (now, self.ran)
        mark = self.cold if self.cold is not None and self.ran > self.cold[1] else self.warm
        rate = (self.ran - mark[1]) / (now - mark[0]) if self.ran > mark[1] else float("inf")
        measured_cold = mark is self.cold
        hot = 0 if measured_cold else max(0, self.ramp_end - position)
        cold_rate = rate if measured_cold else rate * COLD_PACE
        left = hot / rate + (self.last - position - hot) / cold_rate
        early = now - self.began < FIRST_LOOK * self.span
        if now < self.deadline and (early or now + left <= self.began + self.span):
            return BATCH, position, False
        size = int(min(BATCH, max(MIN_BATCH, rate * self.span / 20)))
        position = max(position, min(int(self.last * (now - self.began) / self.span),
                                     self.last - size))
        return size, position, now >= self.deadline or position >= self.last - size
