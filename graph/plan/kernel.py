"""Compiled simulated annealing over a plan of circles (numba), for :mod:`graph.plan`.

The state is a group per (round, member), or -1 for a member sitting a round out. Its value is
the sum of pair utilities inside groups plus **coverage**, a set function of each group —
every member's needs (topic, weight) count once a group-mate gives that topic, with
diminishing returns ``ret[k]`` for ``k`` givers — minus the rule breaks, each tier at its own
cost: forbidden pairs sharing a group, pairs meeting more than once (prior meetings count),
the **window deficit** of each group (how many of its members would have to leave for the
rest to share one of the ``cols`` start columns: 0 when they share one, and one step smaller
for every member who leaves the wrong group), and members sitting a round out.

A move is one member to another group of the same round (or out of the round, or back in),
or a swap of two members of different groups in one round. Every delta is read in
O(group size + the member's topics + columns) from per-group member lists and sums:
``sup[r, g, t]`` givers of t, ``dn[r, g, t]`` / ``ds[r, g, t]`` need weights of members who
do not / do give t themselves (a member never answers their own need), ``cnt[r, g, c]``
members free at column c. Coverage of a group is ``Σ_t dn·ret[sup] + ds·ret[sup − 1]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Share of steps that try setting a member aside for a round (or back), when allowed.
ASIDE_SHARE = 0.02


@njit(cache=True)
def _one(flag: bool) -> float:
    return 1.0 if flag else 0.0


@njit(cache=True)
def _topic_value(dn: float, ds: float, k: int, ret: np.ndarray) -> float:
    value: float = dn * ret[k]
    if k >= 1:
        value += ds * ret[k - 1]
    return value


@njit(cache=True)
def _cover(r: int, g: int, i: int, sign: int, sup: np.ndarray, dn: np.ndarray, ds: np.ndarray,
           tp: np.ndarray, tt: np.ndarray, ts: np.ndarray, tc: np.ndarray,
           ret: np.ndarray) -> float:
    """Add (sign 1) or remove (sign -1) member i's topics to group (r, g); the coverage change
    (nothing for g = -1, the members sitting the round out)."""
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
    """Window deficit of group (r, g) with member ``out`` gone and ``into`` added (-1: none):
    its size less the most members free at one column (0 for g = -1)."""
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
def build(assign: np.ndarray, groups: int, width: int, topics: int, tp: np.ndarray,
          tt: np.ndarray, ts: np.ndarray, tc: np.ndarray, ret: np.ndarray, cols: np.ndarray,
          prior: np.ndarray) -> tuple[np.ndarray, ...]:
    """Member lists, topic sums, column counts, meet counts and window deficits of ``assign``."""
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
            _cover(r, g, i, 1, sup, dn, ds, tp, tt, ts, tc, ret)
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
    """``[pair utility, coverage, forbidden pairs, repeated meetings, window deficit, members
    sitting a round out]`` of a plan, from scratch (the reference the incremental deltas are
    tested against)."""
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
def _set(deficit: np.ndarray, r: int, g: int, value: int) -> None:
    if g >= 0:
        deficit[r, g] = value


@njit(cache=True)
def _now(deficit: np.ndarray, r: int, g: int) -> int:
    return 0 if g < 0 else deficit[r, g]


@njit(cache=True)
def _try(r: int, i: int, j: int, g: int, h: int, assign: np.ndarray, members: np.ndarray,
         count: np.ndarray, slot: np.ndarray, sup: np.ndarray, dn: np.ndarray, ds: np.ndarray,
         cnt: np.ndarray, meets: np.ndarray, deficit: np.ndarray, w: np.ndarray,
         hard: np.ndarray, tp: np.ndarray, tt: np.ndarray, ts: np.ndarray, tc: np.ndarray,
         ret: np.ndarray, cols: np.ndarray, cover_weight: float, pen: np.ndarray,
         strict: bool, home: np.ndarray, keep: float, temp: float) -> float:
    """Move i from g to h (j = -1), or swap i (in g) with j (in h), in round r, if the
    annealing rule accepts; the value change (0 if not). Either group may be -1 (out of the
    round). ``pen`` = per forbidden pair, repeat, unit of window deficit, member out of the
    round, then (optionally) a factor on the last for each round; ``strict``: a step that breaks a rule is refused before coverage is even valued."""
    new_g = _deficit(cnt, count, cols, r, g, i, j)
    new_h = _deficit(cnt, count, cols, r, h, j, i)
    windows = new_g + new_h - _now(deficit, r, g) - _now(deficit, r, h)
    u1, b1, q1 = _pairs_with(r, g, i, -1, False, members, count, w, hard, meets)
    u2, b2, q2 = _pairs_with(r, h, i, j, True, members, count, w, hard, meets)
    u3, b3, q3 = 0.0, 0.0, 0.0
    u4, b4, q4 = 0.0, 0.0, 0.0
    if j >= 0:
        u3, b3, q3 = _pairs_with(r, h, j, -1, False, members, count, w, hard, meets)
        u4, b4, q4 = _pairs_with(r, g, j, i, True, members, count, w, hard, meets)
    aside = 0.0 if j >= 0 else _one(h < 0) - _one(g < 0)
    if aside != 0.0 and pen.shape[0] > 4 + r:  # sitting out an early round costs more
        aside *= pen[4 + r]
    rules = (pen[0] * (b2 + b4 - b1 - b3) + pen[1] * (q2 + q4 - q1 - q3) + pen[2] * windows
             + pen[3] * aside)
    if strict and rules > 0:
        return 0.0
    cov = _cover(r, g, i, -1, sup, dn, ds, tp, tt, ts, tc, ret)
    if j >= 0:
        cov += _cover(r, g, j, 1, sup, dn, ds, tp, tt, ts, tc, ret)
        cov += _cover(r, h, j, -1, sup, dn, ds, tp, tt, ts, tc, ret)
    cov += _cover(r, h, i, 1, sup, dn, ds, tp, tt, ts, tc, ret)
    stay = _one(h == home[r, i]) - _one(g == home[r, i])
    if j >= 0:
        stay += _one(g == home[r, j]) - _one(h == home[r, j])
    delta: float = u2 + u4 - u1 - u3 + cover_weight * cov - rules + keep * stay
    if _accept(delta, temp):
        _relocate(r, i, g, h, assign, members, count, slot, cnt, cols, meets)
        if j >= 0:
            _relocate(r, j, h, g, assign, members, count, slot, cnt, cols, meets)
        _set(deficit, r, g, new_g)
        _set(deficit, r, h, new_h)
        return delta
    _cover(r, h, i, -1, sup, dn, ds, tp, tt, ts, tc, ret)
    if j >= 0:
        _cover(r, h, j, 1, sup, dn, ds, tp, tt, ts, tc, ret)
        _cover(r, g, j, -1, sup, dn, ds, tp, tt, ts, tc, ret)
    _cover(r, g, i, 1, sup, dn, ds, tp, tt, ts, tc, ret)
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
           dn: np.ndarray, ds: np.ndarray, cnt: np.ndarray, meets: np.ndarray,
           deficit: np.ndarray, w: np.ndarray, hard: np.ndarray, tp: np.ndarray,
           tt: np.ndarray, ts: np.ndarray, tc: np.ndarray, ret: np.ndarray, cols: np.ndarray,
           cover_weight: float, penalties: np.ndarray, movable: np.ndarray,
           nfree: np.ndarray, home: np.ndarray, keep: float, value: float, start: int,
           steps: int, total: int, t0: float, t1: float, seed: int, ramp: float,
           directed: float, gp: np.ndarray, gi: np.ndarray, aside: bool) -> float:
    """Run annealing steps ``start .. start + steps`` of ``total`` in place; returns the value.

    The temperature falls geometrically from ``t0`` to ``t1`` over ``total`` steps (0 from
    there on: plain descent). Rule-break costs (``penalties``) rise from 0.1 % to their full
    weight over the first ``ramp`` of the schedule (early on the search may pass through
    broken rules), after which a step that breaks a rule is refused outright. With ``aside``
    a member may sit a round out, at a cost. ``movable[r, :nfree[r]]`` lists the members of
    round r who are not pinned; ``keep`` is paid for each member in their ``home[r, i]``.

    A share ``directed`` of the steps aims: a member with a need nobody in their group
    answers moves (or swaps) into the group of someone who gives that topic (``gi[gp[t]:
    gp[t + 1]]`` lists the givers of topic t); the rest are random moves and swaps.
    """
    np.random.seed(seed)
    rounds = assign.shape[0]
    groups = lo.shape[0]
    slack = False
    for g in range(groups):
        if lo[g] < hi[g]:
            slack = True
    ratio = t1 / t0 if t0 > 0 else 0.0
    pen = penalties.copy()
    temp, strict = t0, False
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
                value += _try(r, i, k, g, -1, assign, members, count, slot, sup, dn, ds, cnt,
                              meets, deficit, w, hard, tp, tt, ts, tc, ret, cols, cover_weight,
                              pen, strict, home, keep, temp)
            elif count[r, g] > lo[g]:
                value += _try(r, i, -1, g, -1, assign, members, count, slot, sup, dn, ds, cnt,
                              meets, deficit, w, hard, tp, tt, ts, tc, ret, cols, cover_weight,
                              pen, strict, home, keep, temp)
            continue
        h, giver = _target(r, i, g, groups, assign, sup, tp, tt, ts, tc, gp, gi, directed)
        if h == g or h < 0:
            continue
        if g < 0 or (slack and np.random.random() < 0.3):
            if count[r, h] < hi[h] and (g < 0 or count[r, g] > lo[g]):
                value += _try(r, i, -1, g, h, assign, members, count, slot, sup, dn, ds, cnt,
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
