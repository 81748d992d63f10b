"""Plan circles over one or more rounds: pair utilities, coverage of needs, and hard rules.

:func:`plan_circles` is the engine behind circle formation in the product. It maximises

    Σ pair utilities inside groups  +  cover_weight · Σ coverage of each group

where a group's coverage counts each member's needs ``(topic, weight)`` once some group-mate
gives that topic, with diminishing returns for more givers (``1, 1 + r, 1 + r², …``): the
objective pays for answering a question nobody else in the group can, not for a third answer
to the same one. The rules, from the one that gives way last:

1. ``forbidden`` pairs never share a group;
2. every group shares a window (``windows``: the slots at which each member could start a
   meeting);
3. no pair meets twice — across the rounds of the plan, and never again when listed in
   ``met`` (unless ``relax_repeats``: then it gives way before anyone sits a round out).

With ``set_aside``, a member who fits no group of a round without breaking a rule sits that
round out (callers tell them why).

The search is simulated annealing over moves and swaps (compiled in
:mod:`graph.plan_kernel`), each rule break costing more than any gain in utility, so a break
survives only where the search found no way around it; the result lists every break left,
and callers decide what to do with them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.errors import InfeasibleError
from graph.plan_kernel import anneal, build, score

__all__ = ["Plan", "breaks", "columns", "greedy_plan", "plan_circles"]

Pair = tuple[int, int]
Rounds = list[list[list[int]]]
#: Annealing steps per member and round when ``steps`` is not given, up to ``MAX_STEPS``: a
#: fixed count (not a time), so the same seed gives the same plan (docs/benchmarks.md).
STEPS_PER_MEMBER = 30_000
MAX_STEPS = 12_000_000
#: Share of the schedule over which rule-break costs rise from 0.1 % to their full weight:
#: early on the search may pass through broken rules to reach better regions.
RAMP = 0.5
#: Rule-break costs in units of the largest gain one step can make: forbidden pair, repeat,
#: member of a group who shares none of its windows, member sitting a round out. A repeat
#: costs more than sitting a round out unless repeats are relaxed (``RELAXED_REPEAT``).
PENALTY = (1000.0, 10.0, 30.0, 3.0)
#: How much more sitting out the first round costs than a later one.
FIRST_ROUND_ASIDE = 2.0
RELAXED_REPEAT = 1.0
#: Share of steps aimed at a need nobody in the member's group answers (see the kernel).
DIRECTED = 0.5
#: Steps between two looks at the clock (and progress reports).
BATCH = 200_000
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


def columns(starts: np.ndarray) -> np.ndarray:
    """Boolean start slots (n × S) as the distinct columns anyone can use (uint8, n × U).

    Two slots at which exactly the same members are free are one choice for a group, so a
    week of 5-minute slots usually comes down to a few dozen columns.

    Examples
    --------
    >>> columns(np.array([[1, 1, 0, 0], [0, 1, 1, 0]], dtype=bool)).shape
    (2, 3)
    """
    starts = np.asarray(starts, dtype=bool)
    used = starts[:, starts.any(axis=0)]
    if used.size:
        used = np.unique(used, axis=1)
    if used.shape[1] == 0:
        return np.zeros((len(starts), 1), dtype=np.uint8)
    return np.ascontiguousarray(used, dtype=np.uint8)


def _topics(n: int, needs: Sequence[Mapping[Hashable, float]] | None,
            gives: Sequence[Iterable[Hashable]] | None) -> tuple[np.ndarray, ...]:
    """Per-member topic lists (CSR): topic index, gives it, need weight. Topics nobody both
    needs and gives elsewhere cannot count, and are left out."""
    needs = list(needs) if needs is not None else [{}] * n
    gives = [set(g) for g in gives] if gives is not None else [set()] * n
    if len(needs) != n or len(gives) != n:
        raise ValueError(f"needs and gives must have one entry per member ({n})")
    givers: dict[Hashable, int] = {}
    for offered in gives:
        for topic in offered:
            givers[topic] = givers.get(topic, 0) + 1
    useful = {t for member in needs for t in member if givers.get(t, 0)}
    index = {t: k for k, t in enumerate(sorted(useful, key=repr))}
    ptr, tt, ts, tc = [0], [], [], []
    for i in range(n):
        for topic in sorted({t for t in (*needs[i], *gives[i]) if t in index},
                            key=lambda t: index[t]):
            weight = float(needs[i].get(topic, 0.0))
            if not np.isfinite(weight) or weight < 0:
                raise ValueError(f"need weights must be finite and not negative, got {weight}")
            tt.append(index[topic])
            ts.append(topic in gives[i])
            tc.append(weight)
        ptr.append(len(tt))
    return (np.array(ptr, dtype=np.int64), np.array(tt, dtype=np.int64),
            np.array(ts, dtype=np.bool_), np.array(tc, dtype=float),
            np.array(len(index), dtype=np.int64))


def _givers(tp: np.ndarray, tt: np.ndarray, ts: np.ndarray,
            topics: int) -> tuple[np.ndarray, np.ndarray]:
    """Who gives each topic, as CSR (``idx[ptr[t]:ptr[t + 1]]``)."""
    owners = np.repeat(np.arange(len(tp) - 1), np.diff(tp))
    mine = ts.astype(bool)
    order = np.argsort(tt[mine], kind="stable")
    idx = owners[mine][order].astype(np.int64)
    ptr = np.zeros(topics + 1, dtype=np.int64)
    np.add.at(ptr, tt[mine] + 1, 1)
    return np.cumsum(ptr), idx


def _pairs(n: int, pairs: Iterable[Pair], what: str) -> np.ndarray:
    matrix = np.zeros((n, n), dtype=np.int8)
    for a, b in pairs:
        if not (0 <= a < n and 0 <= b < n) or a == b:
            raise InfeasibleError(f"{what} pair ({a}, {b}) is not a pair of distinct members")
        matrix[a, b] = matrix[b, a] = 1
    return matrix


def _start(n: int, bounds: list[Pair], rounds: int, pinned: np.ndarray,
           initial: Rounds | None, rng: np.random.Generator) -> np.ndarray:
    """A starting plan within the size bounds: ``initial`` where given, pins respected, the
    rest placed at random (groups below their minimum first)."""
    groups = len(bounds)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    assign = np.full((rounds, n), -1, dtype=np.int64)
    for r in range(rounds):
        row = assign[r]
        pins = pinned[r] >= 0
        row[pins] = pinned[r][pins]
        if initial is not None and r < len(initial):
            for g, group in enumerate(initial[r][:groups]):
                for m in group:
                    if 0 <= m < n and row[m] < 0:
                        row[m] = g
        load = np.bincount(row[row >= 0], minlength=groups)
        for full in np.flatnonzero(load > hi):  # trim overfull groups (unpinned members first)
            extra = [m for m in np.flatnonzero(row == full) if pinned[r, m] < 0]
            for m in rng.permutation(extra)[: load[full] - hi[full]]:
                row[m], load[full] = -1, load[full] - 1
        for m in rng.permutation(np.flatnonzero(row < 0)):
            room = np.flatnonzero(load < hi)
            if room.size == 0:
                raise InfeasibleError(f"{n} members do not fit {groups} groups of at most "
                                      f"{int(hi.max())}")
            short = room[(lo - load)[room] == (lo - load)[room].max()]
            g = int(rng.choice(short))
            row[m], load[g] = g, load[g] + 1
        for short_group in np.flatnonzero(load < lo):  # an initial plan left a group short
            while load[short_group] < lo[short_group]:
                donors = [k for k in range(groups) if load[k] > lo[k]
                          and (pinned[r][row == k] < 0).any()]
                if not donors:
                    raise InfeasibleError(f"group {short_group} cannot reach {lo[short_group]} "
                                          "members: everyone who could join it is pinned")
                donor = max(donors, key=lambda k: load[k] - lo[k])
                taken = next(k for k in np.flatnonzero(row == donor) if pinned[r, k] < 0)
                row[taken] = short_group
                load[short_group] += 1
                load[donor] -= 1
    return assign


def _check_bounds(n: int, bounds: list[Pair]) -> None:
    if not bounds:
        raise InfeasibleError(f"{n} members but no groups to place them in")
    if any(lo < 1 or lo > hi for lo, hi in bounds):
        raise InfeasibleError(f"group size bounds must satisfy 1 ≤ min ≤ max, got {bounds}")
    low, high = sum(lo for lo, _ in bounds), sum(hi for _, hi in bounds)
    if not low <= n <= high:
        raise InfeasibleError(f"{n} members do not fit {len(bounds)} groups holding "
                              f"{low}–{high} members in all")


def _pins(n: int, rounds: int, groups: int,
          pinned: Mapping[tuple[int, int], int] | None) -> np.ndarray:
    table = np.full((rounds, n), -1, dtype=np.int64)
    for (r, m), g in (pinned or {}).items():
        if not (0 <= r < rounds and 0 <= m < n and 0 <= g < groups):
            raise InfeasibleError(f"pin of member {m} to group {g} in round {r} is out of range")
        table[r, m] = g
    return table


def _temperature(w: np.ndarray, size: float, rng: np.random.Generator) -> float:
    """A starting temperature: a typical change of pair utility when a member changes group."""
    n = len(w)
    k = max(1, round(size) - 1)
    rows = rng.integers(0, n, 256)
    picks = rng.integers(0, n, (256, 2, k))
    deltas = w[rows[:, None], picks[:, 0]].sum(axis=1) - w[rows[:, None], picks[:, 1]].sum(axis=1)
    return max(float(np.mean(np.abs(deltas))), 1e-3)


def _matrix(weights: np.ndarray) -> np.ndarray:
    w = np.array(weights, dtype=float)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"weights must be a square matrix, not of shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    if len(w) == 0:
        raise InfeasibleError("0 members: nothing to form")
    symmetric: np.ndarray = (w + w.T) / 2
    np.fill_diagonal(symmetric, 0.0)
    return symmetric


def _returns(returns: float, size: int) -> np.ndarray:
    return np.array([(1 - returns**k) / (1 - returns) if returns != 1 else float(k)
                     for k in range(size + 2)])


def plan_circles(weights: np.ndarray, bounds: list[Pair], rounds: int = 1, *,
                 needs: Sequence[Mapping[Hashable, float]] | None = None,
                 gives: Sequence[Iterable[Hashable]] | None = None,
                 windows: np.ndarray | None = None, forbidden: Iterable[Pair] = (),
                 met: Iterable[Pair] = (), pinned: Mapping[tuple[int, int], int] | None = None,
                 initial: Rounds | None = None, keep: float = 0.0, set_aside: int = 0,
                 relax_repeats: bool = False, cover_weight: float = 1.0,
                 returns: float = 0.25, steps: int | None = None, heat: float = 1.0,
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
        When the bounds cannot hold the members or a pin is out of range.

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
    started = time.perf_counter()
    w = _matrix(weights)
    n = len(w)
    if rounds < 1:
        raise InfeasibleError(f"rounds must be at least 1, got {rounds}")
    _check_bounds(n, bounds)
    groups = len(bounds)
    lo = np.array([b[0] for b in bounds], dtype=np.int64)
    hi = np.array([b[1] for b in bounds], dtype=np.int64)
    if set_aside > 0:
        lo = np.minimum(lo, set_aside)
    tp, tt, ts, tc, topics = _topics(n, needs, gives)
    ret = _returns(returns, int(hi.max()))
    cols = columns(windows) if windows is not None else np.ones((n, 1), dtype=np.uint8)
    if len(cols) != n:
        raise ValueError(f"windows must have one row per member ({n})")
    hard = _pairs(n, forbidden, "forbidden")
    prior = _pairs(n, met, "met").astype(np.int32)
    pins = _pins(n, rounds, groups, pinned)
    rng = np.random.default_rng(seed)
    starts = [_start(n, bounds, rounds, pins, initial, rng) for _ in range(CHAINS)]
    home = starts[0].copy() if initial is not None and keep else np.full_like(starts[0], -1)
    width = int(hi.max()) + 1
    t0 = heat * (_temperature(w, n / groups, rng) + cover_weight * float(tc.max(initial=0.0)))
    # A rule break costs more than any one step can gain: a member's best possible pair
    # utilities plus everything coverage could give the two groups of a swap, doubled.
    top = float(np.sort(np.abs(w), axis=1)[:, -width:].sum(axis=1).max())
    own = max((float(tc[tp[i]:tp[i + 1]].sum()) for i in range(n)), default=0.0)
    cover = cover_weight * (own * float(ret[-1]) + width * float(tc.max(initial=0.0)))
    costs = (PENALTY[0], RELAXED_REPEAT if relax_repeats else PENALTY[1], *PENALTY[2:])
    # Sitting out round 1 costs twice as much as a later round (still less than a repeat): a later round is
    # prepared again with the community as it is then, and may place them after all.
    early = [FIRST_ROUND_ASIDE if r == 0 else 1.0 for r in range(rounds)]
    penalties = np.array([*np.array(costs) * (4.0 * (top + cover + keep) + 1.0), *early])
    movable = np.zeros((rounds, n), dtype=np.int64)
    nfree = np.zeros(rounds, dtype=np.int64)
    for r in range(rounds):
        free = np.flatnonzero(pins[r] < 0)
        movable[r, :len(free)], nfree[r] = free, len(free)
    total = int(steps if steps is not None else min(STEPS_PER_MEMBER * n * rounds, MAX_STEPS))
    giver_ptr, giver_idx = _givers(tp, tt, ts, int(topics))
    fixed = _Search(pins, lo, hi, w, hard, tp, tt, ts, tc, ret, cols, cover_weight, penalties,
                    movable, nfree, home, float(keep), total, t0, DIRECTED if tc.size else 0.0,
                    giver_ptr, giver_idx, set_aside > 0)
    runs = [(assign, build(assign, groups, width, int(topics), tp, tt, ts, tc, ret, cols, prior),
             None if seed is None else seed + 1 + k, progress if k == 0 else None)
            for k, assign in enumerate(starts)]
    deadline = started + time_limit
    with ThreadPoolExecutor(max_workers=max(1, len(runs) - 1)) as pool:
        # The first chain runs here, so progress is reported from the caller's thread.
        others = [pool.submit(_chain, *run, fixed, deadline) for run in runs[1:]]
        done = [_chain(*runs[0], fixed, deadline), *(future.result() for future in others)]

    def objective(assign: np.ndarray) -> float:
        parts = score(assign, groups, w, hard, prior, tp, tt, ts, tc, ret, int(topics), cols)
        return float(parts[0] + cover_weight * parts[1] - penalties[0] * parts[2]
                     - penalties[1] * parts[3] - penalties[2] * parts[4]
                     - penalties[3] * parts[5] + keep * (assign == home).sum())

    best = max(range(len(runs)), key=lambda k: (objective(runs[k][0]), -k))
    assign = runs[best][0]
    plan = [[sorted(int(m) for m in np.flatnonzero(assign[r] == g)) for g in range(groups)]
            for r in range(rounds)]
    parts = score(assign, groups, w, hard, prior, tp, tt, ts, tc, ret, int(topics), cols)
    return Plan(plan, float(parts[0]), float(parts[1]),
                breaks(plan, hard=hard, prior=prior, cols=cols if windows is not None else None),
                sum(done), time.perf_counter() - started, min(done) >= total + total // 10,
                [[int(m) for m in np.flatnonzero(assign[r] < 0)] for r in range(rounds)])


@dataclass(frozen=True)
class _Search:
    """What every chain of one search shares (read only)."""

    pins: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray
    hard: np.ndarray
    tp: np.ndarray
    tt: np.ndarray
    ts: np.ndarray
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


def _chain(assign: np.ndarray, state: tuple[Any, ...], seed: int | None,
           progress: Callable[[float], None] | None, s: _Search, deadline: float) -> int:
    """One annealing chain on ``assign`` (in place) in batches; returns the steps it ran."""
    last = s.total + s.total // 10  # a tenth more at temperature 0: a final descent
    members, count, slot, sup, dn, ds, cnt, meets, deficit = state
    stream = np.random.default_rng(seed)
    value, done = 0.0, 0
    while done < last and (done == 0 or time.perf_counter() < deadline):
        batch = min(BATCH, last - done)
        value = float(anneal(assign, s.pins, s.lo, s.hi, members, count, slot, sup, dn, ds,
                             cnt, meets, deficit, s.w, s.hard, s.tp, s.tt, s.ts,
                             s.tc, s.ret, s.cols, s.cover_weight, s.penalties, s.movable,
                             s.nfree, s.home, s.keep, value, done, batch, s.total, s.t0,
                             s.t0 * 1e-3, int(stream.integers(2**31)), RAMP, s.directed,
                             s.giver_ptr, s.giver_idx, s.aside))
        done += batch
        if progress is not None:
            progress(min(1.0, done / last))
    return done


def breaks(plan: Rounds, *, hard: np.ndarray, prior: np.ndarray,
           cols: np.ndarray | None) -> list[tuple[int | str, ...]]:
    """The rule breaks of a plan: forbidden pairs, pairs meeting again, groups with no window.

    Examples
    --------
    >>> hard = np.zeros((3, 3), dtype=np.int8); hard[0, 1] = hard[1, 0] = 1
    >>> breaks([[[0, 1, 2]], [[0, 2], [1]]], hard=hard, prior=np.zeros((3, 3)), cols=None)
    [('forbidden', 0, 0, 1), ('repeat', 1, 0, 2)]
    """
    found: list[tuple[int | str, ...]] = []
    seen = np.array(prior, dtype=np.int32)
    for r, groups in enumerate(plan):
        for g, group in enumerate(groups):
            for x, a in enumerate(group):
                for b in group[x + 1:]:
                    if hard[a, b]:
                        found.append(("forbidden", r, a, b))
                    if seen[a, b]:
                        found.append(("repeat", r, a, b))
            if cols is not None and group and not cols[group].all(axis=0).any():
                found.append(("window", r, g))
        for group in groups:
            for x, a in enumerate(group):
                for b in group[x + 1:]:
                    seen[a, b] = seen[b, a] = seen[a, b] + 1
    return found


def greedy_plan(weights: np.ndarray, bounds: list[Pair], rounds: int = 1, *,
                needs: Sequence[Mapping[Hashable, float]] | None = None,
                gives: Sequence[Iterable[Hashable]] | None = None,
                windows: np.ndarray | None = None, forbidden: Iterable[Pair] = (),
                met: Iterable[Pair] = (), cover_weight: float = 1.0, returns: float = 0.25,
                seed: int | None = None) -> Rounds:
    """A simple baseline: members in random order, each into the group where they add most.

    Same objective and rules as :func:`plan_circles` (a rule break costs more than any gain),
    round after round; groups below their minimum are filled first when the members left are
    just enough for them.

    Examples
    --------
    >>> plan = greedy_plan(np.ones((4, 4)), [(2, 2), (2, 2)], forbidden=[(0, 1), (2, 3)], seed=0)
    >>> [sorted(len(set(g) & pair) for g in plan[0]) for pair in ({0, 1}, {2, 3})]
    [[1, 1], [1, 1]]

    Notes
    -----
    O(R·n·(n + G·(T + U))) for T topics and U window columns.
    """
    w = _matrix(weights)
    n = len(w)
    _check_bounds(n, bounds)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    topics = _topics(n, needs, gives)
    ret = _returns(returns, int(hi.max()))
    cols = columns(windows).astype(bool) if windows is not None else None
    hard = _pairs(n, forbidden, "forbidden").astype(float)
    seen = _pairs(n, met, "met").astype(float)
    rng = np.random.default_rng(seed)
    big = 4.0 * (float(np.abs(w).sum(axis=1).max()) + cover_weight * float(topics[3].sum()) + 1)
    plan: Rounds = []
    for _ in range(rounds):
        found = _greedy_round(w, lo, hi, topics, ret, cols, hard, seen, cover_weight, big, rng)
        for group in found:
            seen[np.ix_(group, group)] = 1.0
        np.fill_diagonal(seen, 0.0)
        plan.append(found)
    return plan


def _greedy_round(w: np.ndarray, lo: np.ndarray, hi: np.ndarray, topics: tuple[np.ndarray, ...],
                  ret: np.ndarray, cols: np.ndarray | None, hard: np.ndarray, seen: np.ndarray,
                  cover_weight: float, big: float, rng: np.random.Generator) -> list[list[int]]:
    tp, tt, ts, tc, count = topics
    n, groups = len(w), len(lo)
    gain = np.zeros((groups, n))  # pair utility, less rule breaks, towards each group
    sup = np.zeros((groups, int(count)), dtype=np.int64)
    dn = np.zeros((groups, int(count)))
    ds = np.zeros((groups, int(count)))
    common = None if cols is None else np.ones((groups, cols.shape[1]), dtype=bool)
    load = np.zeros(groups, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(groups)]
    for placed, i in enumerate(rng.permutation(n)):
        value = gain[:, i].copy()
        for p in range(tp[i], tp[i + 1]):
            t, gives, c = tt[p], int(ts[p]), tc[p]
            k = sup[:, t]
            before = dn[:, t] * ret[k] + ds[:, t] * np.where(k >= 1, ret[np.maximum(k - 1, 0)], 0)
            k2 = k + gives
            a, b = dn[:, t] + (1 - gives) * c, ds[:, t] + gives * c
            after = a * ret[k2] + b * np.where(k2 >= 1, ret[np.maximum(k2 - 1, 0)], 0)
            value += cover_weight * (after - before)
        if common is not None and cols is not None:
            value -= big * ~(common & cols[i]).any(axis=1)
        value += 1e-9 * (hi - load)  # equal value: the emptier group, to keep room elsewhere
        open_ = load < hi
        deficit = np.maximum(lo - load, 0)
        if deficit.sum() >= n - placed:
            open_ &= deficit > 0
        g = int(np.flatnonzero(open_)[np.argmax(value[open_])])
        members[g].append(int(i))
        load[g] += 1
        gain[g] += w[i] - big * (100 * hard[i] + seen[i])
        for p in range(tp[i], tp[i + 1]):
            sup[g, tt[p]] += int(ts[p])
            (ds if ts[p] else dn)[g, tt[p]] += tc[p]
        if common is not None and cols is not None:
            common[g] &= cols[i]
    return [sorted(group) for group in members]
