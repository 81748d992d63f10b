"""The engine of :mod:`graph.plan`: simulated annealing chains over a whole plan, run side by
side from random starts within the size bounds; the plan is the best chain's."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from graph.errors import InfeasibleError
from graph.plan.chains import Search, movable_members, run_chains
from graph.plan.coverage import (
    GIVES,
    HEAVIEST,
    diminishing_returns,
    entry_kinds,
    topic_givers,
    topic_lists,
)
from graph.plan.dissolve import dissolve
from graph.plan.rules import (
    Pair,
    Rounds,
    breaks,
    check_bounds,
    columns,
    pair_matrix,
    pin_table,
    symmetric_weights,
)
from graph.plan.start import starting_plan, temperature

__all__ = ["Plan", "plan_circles"]

#: Annealing steps per member and round when ``steps`` is not given, up to ``MAX_STEPS``: a
#: fixed count (not a time), so the same seed gives the same plan (docs/benchmarks.md).
STEPS_PER_MEMBER = 30_000
MAX_STEPS = 12_000_000
#: Rule-break costs in units of the largest gain one step can make: forbidden pair, repeat,
#: member of a group who shares none of its windows, member sitting a round out. A repeat
#: costs more than sitting a round out unless repeats are relaxed (``RELAXED_REPEAT``).
PENALTY = (1000.0, 10.0, 30.0, 3.0)
#: How much more sitting out the first round costs than a later one.
FIRST_ROUND_ASIDE = 2.0
RELAXED_REPEAT = 1.0
#: Share of steps aimed at a need nobody in the member's group answers (see the kernel).
DIRECTED = 0.5
#: Independent annealing chains run side by side (one per core of the project's machine);
#: the plan is the best chain's.
CHAINS = 2


@dataclass(frozen=True)
class Plan:
    """A plan and what it achieves.

    ``rounds[r][g]`` lists group g's members in round r (groups keep their index: a pinned
    member sits in the group it was pinned to). ``aside[r]`` lists who sits round r out.
    ``breaks`` lists the rules left broken: ``("forbidden", r, a, b)``, ``("repeat", r, a,
    b)`` (a pair meeting again in round r) and ``("window", r, g)``.
    """

    rounds: Rounds
    utility: float
    coverage: float
    breaks: list[tuple[int | str, ...]]
    steps: int
    seconds: float
    complete: bool  # False when the time limit stopped the search before its step budget
    aside: list[list[int]] = field(default_factory=list)


def plan_circles(weights: np.ndarray, bounds: list[Pair], rounds: int = 1, *,
                 needs: Sequence[Mapping[Hashable, float]] | None = None,
                 gives: Sequence[Iterable[Hashable]] | None = None,
                 windows: np.ndarray | None = None, forbidden: Iterable[Pair] = (),
                 met: Iterable[Pair] = (), pinned: Mapping[tuple[int, int], int] | None = None,
                 initial: Rounds | None = None, keep: float = 0.0, set_aside: int = 0,
                 relax_repeats: bool = False, cover_weight: float = 1.0,
                 returns: float = 0.25, balance: float = 0.0, steps: int | None = None,
                 heat: float = 1.0,
                 time_limit: float = 30.0, seed: int | None = None,
                 progress: Callable[[float], None] | None = None) -> Plan:
    """Plan ``rounds`` rounds of groups within ``bounds``, keeping the hard rules.

    Parameters
    ----------
    weights : ndarray
        n×n pair utilities (symmetrised; the diagonal is ignored).
    bounds : list of (int, int)
        ``(min, max)`` size of each group, the same in every round.
    rounds : int
        Rounds to plan together; no pair meets in two of them.
    needs, gives : sequences of length n, optional
        Each member's needs as ``{topic: weight}`` and the topics they give.
    windows : ndarray, optional
        n×S booleans: the slots at which each member could start a meeting (all True for a
        member with no constraint). Every group must share one. None: no time rule.
    forbidden : iterable of (int, int)
        Pairs that never share a group.
    met : iterable of (int, int)
        Pairs who met before the plan: they count as one meeting, so meeting again is a repeat.
    pinned : mapping (round, member) → group, optional
        Members fixed to a group (hand placements, locked pairs).
    initial : list of rounds of groups, optional
        A plan to start from (for re-optimising after a hand edit).
    keep : float
        Bonus for each member who stays in their group of ``initial``: keeps churn low when
        re-optimising.
    set_aside : int
        When positive, a member may sit a round out rather than share a group with no common
        window or meet someone again, and groups may then shrink to this size. 0: everyone is
        placed in every round.
    relax_repeats : bool
        Meeting again costs less than sitting a round out (still avoided where possible).
    cover_weight, returns : float
        Weight of coverage, and the share each further giver of a topic adds.
    balance : float
        Weight of the balance between rounds: each round costs ``balance`` × (its members'
        heaviest needs nobody in their group answers)² / (members with a need someone
        gives), so an answer is worth more in a round that answers fewer. 0: rounds are
        valued alike.
    heat : float
        Share of the usual starting temperature (below 1 refines ``initial`` rather than
        reshaping it).
    steps : int, optional
        Annealing steps; default ``STEPS_PER_MEMBER · n · rounds`` up to ``MAX_STEPS``. A
        fixed count: the same seed gives the same plan unless ``time_limit`` stops it first.
    time_limit : float
        Seconds after which the search stops whatever its step count.
    seed : int, optional
        Seed for the start and the search.
    progress : callable, optional
        Called with the fraction done (0..1) between batches.

    Returns
    -------
    Plan

    Raises
    ------
    InfeasibleError
        When the bounds cannot hold the members, rounds < 1, or a pair or pin is out of
        range.
    ValueError
        When the weights are not a finite square matrix, or needs, gives or windows do not
        have one entry per member (or a need weight is negative).

    Examples
    --------
    >>> w = np.zeros((4, 4))
    >>> plan = plan_circles(w, [(2, 2), (2, 2)], 3, seed=0, steps=20_000)
    >>> len({tuple(group) for groups in plan.rounds for group in groups}), plan.breaks
    (6, [])
    >>> needs = [{"python": 1.0}, {}, {"sql": 1.0}, {}]
    >>> gives = [set(), {"python"}, set(), {"sql"}]
    >>> sorted(plan_circles(w, [(2, 2), (2, 2)], needs=needs, gives=gives, seed=0).rounds[0])
    [[0, 1], [2, 3]]

    Notes
    -----
    A step costs O(group size + the member's topics + window columns); the default budget is
    O(n·R) steps. Memory: O(n²) for the pair matrices and O(R·G·(T + U)) for the sums.
    """
    from graph.plan.kernel import build  # numba: loaded on first solve
    started = time.perf_counter()
    data = _inputs(weights, bounds, rounds, needs=needs, gives=gives, windows=windows,
                   forbidden=forbidden, met=met, pinned=pinned, set_aside=set_aside,
                   returns=returns)
    rng = np.random.default_rng(seed)
    starts = [starting_plan(data.n, bounds, rounds, data.pins, initial, rng) for _ in range(CHAINS)]
    home = starts[0].copy() if initial is not None and keep else np.full_like(starts[0], -1)
    fixed = _search(data, home, rng, cover_weight=cover_weight, keep=keep, heat=heat,
                    relax_repeats=relax_repeats, steps=steps, balance=balance)
    states = [build(assign, data.groups, data.width, data.topics, *data.coverage, data.cols,
                    data.prior) for assign in starts]
    done = run_chains(starts, states, fixed, seed, progress, deadline=started + time_limit)
    return _plan(data, fixed, starts, done, started)


@dataclass(frozen=True)
class _Inputs:
    """A plan request, checked and encoded for the kernel."""

    w: np.ndarray
    rounds: int
    lo: np.ndarray  # lowered to ``set_aside`` when members may sit a round out
    hi: np.ndarray
    topics: int
    # tp, tt, kinds, tc (:func:`~graph.plan.coverage.topic_lists`, with ``gives`` as
    # :func:`~graph.plan.coverage.entry_kinds`) and the returns curve
    coverage: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    cols: np.ndarray
    windows: bool  # False: no window rule (``cols`` is then one column everyone shares)
    hard: np.ndarray
    prior: np.ndarray
    pins: np.ndarray
    aside: bool

    @property
    def n(self) -> int:
        return len(self.w)

    @property
    def groups(self) -> int:
        return len(self.lo)

    @property
    def width(self) -> int:
        """Room in each group's member list: the largest size, plus one."""
        return int(self.hi.max()) + 1


def _inputs(weights: np.ndarray, bounds: list[Pair], rounds: int, *,
            needs: Sequence[Mapping[Hashable, float]] | None,
            gives: Sequence[Iterable[Hashable]] | None, windows: np.ndarray | None,
            forbidden: Iterable[Pair], met: Iterable[Pair],
            pinned: Mapping[tuple[int, int], int] | None, set_aside: int,
            returns: float) -> _Inputs:
    """Check and encode the request; raises as :func:`plan_circles` documents."""
    w = symmetric_weights(weights)
    n = len(w)
    if rounds < 1:
        raise InfeasibleError(f"rounds must be at least 1, got {rounds}")
    check_bounds(n, bounds)
    lo = np.array([b[0] for b in bounds], dtype=np.int64)
    hi = np.array([b[1] for b in bounds], dtype=np.int64)
    if set_aside > 0:
        lo = np.minimum(lo, set_aside)
    tp, tt, ts, tc, topics = topic_lists(n, needs, gives)
    ret = diminishing_returns(returns, int(hi.max()))
    cols = columns(windows) if windows is not None else np.ones((n, 1), dtype=np.uint8)
    if len(cols) != n:
        raise ValueError(f"windows must have one row per member ({n})")
    hard = pair_matrix(n, forbidden, "forbidden")
    prior = pair_matrix(n, met, "met").astype(np.int32)
    pins = pin_table(n, rounds, len(bounds), pinned)
    return _Inputs(w, rounds, lo, hi, int(topics), (tp, tt, entry_kinds(tp, ts, tc), tc, ret),
                   cols,
                   windows is not None, hard, prior, pins, set_aside > 0)


def _search(data: _Inputs, home: np.ndarray, rng: np.random.Generator, *,
            cover_weight: float, keep: float, heat: float, relax_repeats: bool,
            steps: int | None, balance: float) -> Search:
    """What every chain shares: the start temperature, rule-break costs and step budget."""
    tp, tt, kind, tc, ret = data.coverage
    t0 = heat * (temperature(data.w, data.n / data.groups, rng)
                 + cover_weight * float(tc.max(initial=0.0)))
    penalties = _penalties(data, cover_weight=cover_weight, keep=keep,
                           relax_repeats=relax_repeats, balance=balance)
    movable, nfree = movable_members(data.pins)
    total = int(steps if steps is not None
                else min(STEPS_PER_MEMBER * data.n * data.rounds, MAX_STEPS))
    giver_ptr, giver_idx = topic_givers(tp, tt, (kind & GIVES).astype(bool), data.topics)
    return Search(data.pins, data.lo, data.hi, data.w, data.hard, tp, tt, kind, tc, ret,
                   data.cols, cover_weight, penalties, movable, nfree, home, float(keep), total,
                   t0, DIRECTED if tc.size else 0.0, giver_ptr, giver_idx, data.aside)


def _penalties(data: _Inputs, *, cover_weight: float, keep: float, relax_repeats: bool,
               balance: float) -> np.ndarray:
    """Rule-break costs (forbidden pair, repeat, window deficit, member out of a round), then
    the balance between rounds, then one factor per round on a member out."""
    tp, _, kind, tc, ret = data.coverage
    asking = max(1, int(np.count_nonzero(kind & HEAVIEST)))
    # per squared unanswered need, so that the weight does not grow with the community
    balance = balance / asking
    # A rule break costs more than any one step can gain: a member's best possible pair
    # utilities plus everything coverage could give the two groups of a swap, doubled.
    top = float(np.sort(np.abs(data.w), axis=1)[:, -data.width:].sum(axis=1).max())
    own = max((float(tc[tp[i]:tp[i + 1]].sum()) for i in range(data.n)), default=0.0)
    cover = cover_weight * (own * float(ret[-1]) + data.width * float(tc.max(initial=0.0)))
    # the balance: a swap changes at most 2·width heaviest needs of a round that has at most
    # every one of them unanswered
    cover += balance * 4.0 * data.width * asking
    costs = (PENALTY[0], RELAXED_REPEAT if relax_repeats else PENALTY[1], *PENALTY[2:])
    # Sitting out round 1 costs twice as much as a later round (still less than a repeat): a
    # later round is prepared again with the community as it is then, and may place them
    # after all.
    early = [FIRST_ROUND_ASIDE if r == 0 else 1.0 for r in range(data.rounds)]
    return np.array([*np.array(costs) * (4.0 * (top + cover + keep) + 1.0), balance, *early])


def _value(assign: np.ndarray, data: _Inputs, fixed: Search) -> float:
    """A chain's objective: utility and coverage less the rule breaks, plus members kept."""
    from graph.plan.kernel import score  # numba: loaded on first solve
    parts = score(assign, data.groups, data.w, data.hard, data.prior, *data.coverage,
                  data.topics, data.cols)
    penalties = fixed.penalties
    return float(parts[0] + fixed.cover_weight * parts[1] - penalties[4] * parts[6]
                 - penalties[0] * parts[2]
                 - penalties[1] * parts[3] - penalties[2] * parts[4]
                 - penalties[3] * parts[5] + fixed.keep * (assign == fixed.home).sum())


def _plan(data: _Inputs, fixed: Search, chains: list[np.ndarray], done: list[int],
          started: float) -> Plan:
    """The best chain's plan (the first on a tie), with its figures and breaks."""
    from graph.plan.kernel import score  # numba: loaded on first solve
    best = max(range(len(chains)), key=lambda k: (_value(chains[k], data, fixed), -k))
    assign = chains[best]
    cols = data.cols if data.windows else None
    if data.aside:  # a break the search left, where members may sit a round out
        dissolve(assign, bounds=list(zip(data.lo, data.hi, strict=True)), hard=data.hard,
                 prior=data.prior, cols=cols, pins=data.pins,
                 repeats=bool(fixed.penalties[1] > fixed.penalties[3]))
    plan = [[sorted(int(m) for m in np.flatnonzero(assign[r] == g)) for g in range(data.groups)]
            for r in range(data.rounds)]
    parts = score(assign, data.groups, data.w, data.hard, data.prior, *data.coverage,
                  data.topics, data.cols)
    total = fixed.total
    return Plan(plan, float(parts[0]), float(parts[1]),
                breaks(plan, hard=data.hard, prior=data.prior, cols=cols),
                sum(done), time.perf_counter() - started, min(done) >= total + total // 10,
                [[int(m) for m in np.flatnonzero(assign[r] < 0)] for r in range(data.rounds)])
