"""Compiled simulated annealing over a plan of circles (numba), for :mod:`graph.plan`: a
plan's state (:func:`build`), its value (:func:`score`), and steps valued by deltas
(:func:`anneal`)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["anneal", "build", "score"]

#: Share of steps that try setting a member aside for a round (or back), when allowed.
ASIDE_SHARE = 0.02


@njit(cache=True)
def _one(flag: bool) -> float:
    return 1.0 if flag else 0.0


@njit(cache=True)
def _topic_value(dn: float, ds: float, k: int, ret: np.ndarray) -> float:
    return dn * ret[k] + (ds * ret[k - 1] if k >= 1 else 0.0)  # type: ignore[no-any-return]


@njit(cache=True)
def _cover(r: int, g: int, i: int, sign: int, sup: np.ndarray, dn: np.ndarray, ds: np.ndarray,
           tp: np.ndarray, tt: np.ndarray, ts: np.ndarray, tc: np.ndarray,
           ret: np.ndarray) -> float:
    """Add (sign 1) or remove (-1) member i's topics in group (r, g) (-1: none); the change."""
    delta = 0.0
    if g < 0:
        return delta
    for p in range(tp[i], tp[i + 1]):
        t, gives, c = tt[p], ts[p], tc[p]
        k, a, b = sup[r, g, t], dn[r, g, t], ds[r, g, t]
        before = _topic_value(a, b, k, ret)
        if gives:
            k += sign
            b += sign * c
        else:
            a += sign * c
        sup[r, g, t], dn[r, g, t], ds[r, g, t] = k, a, b
        delta += _topic_value(a, b, k, ret) - before
    return delta


@njit(cache=True)
def _deficit(cnt: np.ndarray, count: np.ndarray, cols: np.ndarray, r: int, g: int, out: int,
             into: int) -> int:
    """Group (r, g)'s size less its most members free at a column, ``out`` gone, ``into`` in."""
    if g < 0:
        return 0
    size = count[r, g] - (1 if out >= 0 else 0) + (1 if into >= 0 else 0)
    best = 0
    for c in range(cols.shape[1]):
        free = cnt[r, g, c]
        if out >= 0:
            free -= cols[out, c]
        if into >= 0:
            free += cols[into, c]
        best = max(best, free)
    left: int = size - best
    return left


@njit(cache=True)
def build(assign: np.ndarray, groups: int, width: int, topics: int, tp: np.ndarray, tt: np.ndarray,
          ts: np.ndarray, tc: np.ndarray, ret: np.ndarray, cols: np.ndarray,
          prior: np.ndarray) -> tuple[np.ndarray, ...]:
    """The state of a plan, from which every step's change in value is read.

    Parameters
    ----------
    assign : ndarray of int64
        rounds × n groups (-1: out of the round).
    groups, width, topics : int
        Groups per round, room in a member list (largest size + 1), topics.
    tp, tt, ts, tc, ret, cols, prior : ndarray
        Topic lists and returns (:mod:`graph.plan.coverage`), start columns, prior meetings.

    Returns
    -------
    tuple of ndarray
        ``members[r, g, :count[r, g]]`` and each member's ``slot`` there; per group and
        topic t, ``sup`` givers and ``dn`` / ``ds`` need weights of members who do not / do
        give t (nobody answers their own need: coverage is ``Σ_t dn·ret[sup] +
        ds·ret[sup − 1]``); ``cnt[r, g, c]`` members free at column c; ``meets``; each
        group's window ``deficit``: members who must leave for the rest to share a column.

    Notes
    -----
    O(R·n·(T + U) + R·G·S² + n²) for T topics a member has, U columns, group size S.
    """
    rounds, n = assign.shape
    members = np.full((rounds, groups, width), -1, dtype=np.int64)
    count = np.zeros((rounds, groups), dtype=np.int64)
    slot = np.zeros((rounds, n), dtype=np.int64)
    sup = np.zeros((rounds, groups, topics), dtype=np.int64)
    dn = np.zeros((rounds, groups, topics))
    ds = np.zeros((rounds, groups, topics))
    cnt = np.zeros((rounds, groups, cols.shape[1]), dtype=np.int64)
    meets = prior.copy()
    for r in range(rounds):
        for i in range(n):
            g = assign[r, i]
            if g < 0:
                continue
            members[r, g, count[r, g]] = i
            slot[r, i] = count[r, g]
            count[r, g] += 1
            _cover(r, g, i, int(1), sup, dn, ds, tp, tt, ts, tc, ret)  # noqa: UP018, RUF046
            for c in range(cols.shape[1]):
                cnt[r, g, c] += cols[i, c]
        for g in range(groups):
            for a in range(count[r, g]):
                for b in range(a + 1, count[r, g]):
                    x, y = members[r, g, a], members[r, g, b]
                    meets[x, y] += 1
                    meets[y, x] += 1
    deficit = np.zeros((rounds, groups), dtype=np.int64)
    for r in range(rounds):
        for g in range(groups):
            deficit[r, g] = _deficit(cnt, count, cols, r, g, -1, -1)
    return members, count, slot, sup, dn, ds, cnt, meets, deficit


@njit(cache=True)
def score(assign: np.ndarray, groups: int, w: np.ndarray, hard: np.ndarray, prior: np.ndarray,
          tp: np.ndarray, tt: np.ndarray, ts: np.ndarray, tc: np.ndarray, ret: np.ndarray,
          topics: int, cols: np.ndarray) -> np.ndarray:
    """The parts of a plan's value from scratch (the reference the deltas are tested against).

    Parameters
    ----------
    assign : ndarray of int64
        rounds × n groups (-1: out of the round).
    groups, topics : int
    w, hard, prior, tp, tt, ts, tc, ret, cols : ndarray
        Pair utilities, forbidden pairs, prior meetings, as for :func:`build`.

    Returns
    -------
    ndarray
        ``[pair utility, coverage, forbidden pairs, repeated meetings, window deficit,
        members sitting a round out]``.

    Notes
    -----
    As :func:`build`, plus O(R·G·T) for coverage.
    """
    rounds, n = assign.shape
    members, count, _, sup, dn, ds, _, meets, deficit = build(
        assign, groups, n + 1, topics, tp, tt, ts, tc, ret, cols, prior)
    out = np.zeros(6)
    for r in range(rounds):
        for i in range(n):
            out[5] += _one(assign[r, i] < 0)
        for g in range(groups):
            for a in range(count[r, g]):
                for b in range(a + 1, count[r, g]):
                    x, y = members[r, g, a], members[r, g, b]
                    out[0] += w[x, y]
                    out[2] += hard[x, y]
            for t in range(topics):
                out[1] += _topic_value(dn[r, g, t], ds[r, g, t], sup[r, g, t], ret)
            out[4] += deficit[r, g]
    for x in range(n):
        for y in range(x + 1, n):
            out[3] += max(meets[x, y] - 1, 0)
    return out


@njit(cache=True)
def _pairs_with(r: int, g: int, i: int, skip: int, joining: bool, members: np.ndarray,
                count: np.ndarray, w: np.ndarray, hard: np.ndarray,
                meets: np.ndarray) -> tuple[float, float, float]:
    """Pair utility, forbidden pairs and repeats between i and group (r, g) without ``skip``
    (and without i itself). Leaving, a pair repeats where it met more than once; joining,
    where it met at all. Nothing for g = -1."""
    util, banned, repeats = 0.0, 0.0, 0.0
    if g < 0:
        return util, banned, repeats
    limit = 1 if joining else 2
    for q in range(count[r, g]):
        m = members[r, g, q]
        if m == i or m == skip:
            continue
        util += w[i, m]
        banned += hard[i, m]
        if meets[i, m] >= limit:
            repeats += 1.0
    return util, banned, repeats


@njit(cache=True)
def _relocate(r: int, i: int, g: int, h: int, assign: np.ndarray, members: np.ndarray,
              count: np.ndarray, slot: np.ndarray, cnt: np.ndarray, cols: np.ndarray,
              meets: np.ndarray) -> None:
    """Move i from group g to h in round r (-1: out of the round): lists, counts, meetings."""
    if g >= 0:
        for q in range(count[r, g]):
            m = members[r, g, q]
            if m != i:
                meets[i, m] -= 1
                meets[m, i] -= 1
        last = members[r, g, count[r, g] - 1]
        members[r, g, slot[r, i]] = last
        slot[r, last] = slot[r, i]
        members[r, g, count[r, g] - 1] = -1
        count[r, g] -= 1
        for c in range(cols.shape[1]):
            cnt[r, g, c] -= cols[i, c]
    if h >= 0:
        for q in range(count[r, h]):
            m = members[r, h, q]
            meets[i, m] += 1
            meets[m, i] += 1
        members[r, h, count[r, h]] = i
        slot[r, i] = count[r, h]
        count[r, h] += 1
        for c in range(cols.shape[1]):
            cnt[r, h, c] += cols[i, c]
    assign[r, i] = h


@njit(cache=True)
def _accept(delta: float, temp: float) -> bool:
    return delta >= 0 or (temp > 0 and np.random.random() < np.exp(delta / temp))


@njit(cache=True)
def _try(r: int, i: int, j: int, g: int, h: int, assign: np.ndarray, members: np.ndarray,
         count: np.ndarray, slot: np.ndarray, sup: np.ndarray, dn: np.ndarray, ds: np.ndarray,
         cnt: np.ndarray, meets: np.ndarray, deficit: np.ndarray, w: np.ndarray, hard: np.ndarray,
         tp: np.ndarray, tt: np.ndarray, ts: np.ndarray, tc: np.ndarray, ret: np.ndarray,
         cols: np.ndarray, cover_weight: float, pen: np.ndarray, strict: bool, home: np.ndarray,
         keep: float, temp: float) -> float:
    """Move i from g to h (j = -1), or swap i (in g) with j (in h), in round r, if the
    annealing rule accepts; the value change (0 if not). Either group may be -1 (out of the
    round). ``pen``: as ``penalties`` of :func:`anneal`; ``strict``: a step that breaks a
    rule is refused before coverage is even valued."""
    none = down = int(-1)  # noqa: UP018, RUF046 (typed, not literal: see anneal)
    up, leaving, joining = int(1), bool(False), bool(True)  # noqa: UP018, RUF046
    new_g = _deficit(cnt, count, cols, r, g, i, j)
    new_h = _deficit(cnt, count, cols, r, h, j, i)
    windows = (new_g - (deficit[r, g] if g >= 0 else 0)
               + new_h - (deficit[r, h] if h >= 0 else 0))
    u1, b1, q1 = _pairs_with(r, g, i, none, leaving, members, count, w, hard, meets)
    u2, b2, q2 = _pairs_with(r, h, i, j, joining, members, count, w, hard, meets)
    u3 = b3 = q3 = u4 = b4 = q4 = 0.0
    if j >= 0:
        u3, b3, q3 = _pairs_with(r, h, j, none, leaving, members, count, w, hard, meets)
        u4, b4, q4 = _pairs_with(r, g, j, i, joining, members, count, w, hard, meets)
    aside = 0.0 if j >= 0 else _one(h < 0) - _one(g < 0)
    if aside != 0.0 and pen.shape[0] > 4 + r:  # sitting out an early round costs more
        aside *= pen[4 + r]
    rules = (pen[0] * (b2 + b4 - b1 - b3) + pen[1] * (q2 + q4 - q1 - q3) + pen[2] * windows
             + pen[3] * aside)
    if strict and rules > 0:
        return 0.0
    cov = _cover(r, g, i, down, sup, dn, ds, tp, tt, ts, tc, ret)
    if j >= 0:
        cov += _cover(r, g, j, up, sup, dn, ds, tp, tt, ts, tc, ret)
        cov += _cover(r, h, j, down, sup, dn, ds, tp, tt, ts, tc, ret)
    cov += _cover(r, h, i, up, sup, dn, ds, tp, tt, ts, tc, ret)
    stay = _one(h == home[r, i]) - _one(g == home[r, i])
    if j >= 0:
        stay += _one(g == home[r, j]) - _one(h == home[r, j])
    delta: float = u2 + u4 - u1 - u3 + cover_weight * cov - rules + keep * stay
    if _accept(delta, temp):
        _relocate(r, i, g, h, assign, members, count, slot, cnt, cols, meets)
        if j >= 0:
            _relocate(r, j, h, g, assign, members, count, slot, cnt, cols, meets)
        if g >= 0:
            deficit[r, g] = new_g
        if h >= 0:
            deficit[r, h] = new_h
        return delta
    _cover(r, h, i, down, sup, dn, ds, tp, tt, ts, tc, ret)
    if j >= 0:
        _cover(r, h, j, up, sup, dn, ds, tp, tt, ts, tc, ret)
        _cover(r, g, j, down, sup, dn, ds, tp, tt, ts, tc, ret)
    _cover(r, g, i, up, sup, dn, ds, tp, tt, ts, tc, ret)
    return 0.0


@njit(cache=True)
def _target(r: int, i: int, g: int, groups: int, assign: np.ndarray, sup: np.ndarray,
            tp: np.ndarray, tt: np.ndarray, ts: np.ndarray, tc: np.ndarray, gp: np.ndarray,
            gi: np.ndarray, directed: float) -> tuple[int, int]:
    """(group, giver to keep there) for i's next step: with probability ``directed``, the
    group of a random giver of a need of i's that nobody in g answers; else a random group."""
    if directed > 0 and tp[i + 1] > tp[i] and np.random.random() < directed:
        p = tp[i] + np.random.randint(tp[i + 1] - tp[i])
        t = tt[p]
        covered = g >= 0 and sup[r, g, t] - (1 if ts[p] else 0) > 0
        if tc[p] > 0 and not covered and gp[t + 1] > gp[t]:
            giver = gi[gp[t] + np.random.randint(gp[t + 1] - gp[t])]
            return assign[r, giver], giver
    return np.random.randint(groups), -1


@njit(cache=True, nogil=True)
def anneal(assign: np.ndarray, pinned: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           members: np.ndarray, count: np.ndarray, slot: np.ndarray, sup: np.ndarray,
           dn: np.ndarray, ds: np.ndarray, cnt: np.ndarray, meets: np.ndarray, deficit: np.ndarray,
           w: np.ndarray, hard: np.ndarray, tp: np.ndarray, tt: np.ndarray, ts: np.ndarray,
           tc: np.ndarray, ret: np.ndarray, cols: np.ndarray, cover_weight: float,
           penalties: np.ndarray, movable: np.ndarray, nfree: np.ndarray, home: np.ndarray,
           keep: float, value: float, start: int, steps: int, total: int, t0: float, t1: float,
           seed: int, ramp: float, directed: float, gp: np.ndarray, gi: np.ndarray,
           aside: bool) -> float:
    """Run annealing steps ``start .. start + steps`` of ``total`` in place; returns the value.

    A step moves a member to another group of its round (or out, or back in) or swaps two.
    The temperature falls geometrically from ``t0`` to ``t1`` over ``total`` steps (then 0).
    Rule-break costs rise from 0.1 % to their full weight over the first ``ramp`` of the
    schedule, then a step that breaks a rule is refused. A share ``directed`` of the steps
    takes a member with an unanswered need to the group of someone who gives that topic.

    Parameters
    ----------
    assign, members, count, slot, sup, dn, ds, cnt, meets, deficit : ndarray
        The plan and its state (:func:`build`), updated in place.
    pinned, lo, hi, movable, nfree, home : ndarray
        Pins (-1: free), size bounds, round r's unpinned members ``movable[r, :nfree[r]]``
        and each member's group in the plan ``keep`` pays them to stay in.
    w, hard, tp, tt, ts, tc, ret, cols, gp, gi : ndarray
        As for :func:`build`; the givers of topic t are ``gi[gp[t]:gp[t + 1]]``.
    cover_weight, keep, value, t0, t1, ramp, directed : float
        Weights of coverage and of staying home, the value so far, the schedule.
    penalties : ndarray
        Costs of a forbidden pair, a repeat, a unit of window deficit and a member out of a
        round, then a factor on the last for each round.
    start, steps, total, seed : int
        First step, steps to run now, steps in the schedule, seed of this batch.
    aside : bool
        Whether a member may sit a round out (at its cost).

    Returns
    -------
    float
        ``value`` plus the changes of the steps taken.

    Notes
    -----
    A step costs O(group size + the member's topics + columns).
    """
    np.random.seed(seed)
    rounds = assign.shape[0]
    groups = lo.shape[0]
    slack = bool(np.any(lo < hi))
    ratio = t1 / t0 if t0 > 0 else 0.0
    pen = penalties.copy()
    # A typed -1, not a literal: numba compiles a callee once for each literal it is passed.
    temp, strict, none = t0, False, int(-1)  # noqa: UP018, RUF046
    for step in range(start, start + steps):
        if step % 256 == 0 or step == start:
            temp = t0 * ratio ** (step / total) if step < total else 0.0
            scale = 1.0
            if ramp > 0 and step < ramp * total:
                scale = 0.001 ** (1.0 - step / (ramp * total))
            pen[:4] = penalties[:4] * scale
            strict = scale == 1.0
        r = np.random.randint(rounds)
        if nfree[r] < 1:
            continue
        i = movable[r, np.random.randint(nfree[r])]
        g = assign[r, i]
        if aside and g >= 0 and np.random.random() < ASIDE_SHARE:
            k = movable[r, np.random.randint(nfree[r])]
            if assign[r, k] < 0:  # i sits out, k takes i's place
                value += _try(r, i, k, g, none, assign, members, count, slot, sup, dn, ds, cnt,
                              meets, deficit, w, hard, tp, tt, ts, tc, ret, cols, cover_weight,
                              pen, strict, home, keep, temp)
            elif count[r, g] > lo[g]:
                value += _try(r, i, none, g, none, assign, members, count, slot, sup, dn, ds, cnt,
                              meets, deficit, w, hard, tp, tt, ts, tc, ret, cols, cover_weight,
                              pen, strict, home, keep, temp)
            continue
        h, giver = _target(r, i, g, groups, assign, sup, tp, tt, ts, tc, gp, gi, directed)
        if h == g or h < 0:
            continue
        if g < 0 or (slack and np.random.random() < 0.3):
            if count[r, h] < hi[h] and (g < 0 or count[r, g] > lo[g]):
                value += _try(r, i, none, g, h, assign, members, count, slot, sup, dn, ds, cnt,
                              meets, deficit, w, hard, tp, tt, ts, tc, ret, cols, cover_weight,
                              pen, strict, home, keep, temp)
                continue
            if g >= 0:
                continue
        j = members[r, h, np.random.randint(count[r, h])]
        if j == giver or pinned[r, j] >= 0:
            continue
        value += _try(r, i, j, g, h, assign, members, count, slot, sup, dn, ds, cnt, meets,
                      deficit, w, hard, tp, tt, ts, tc, ret, cols, cover_weight, pen, strict,
                      home, keep, temp)
    return value
