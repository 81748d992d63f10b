"""Compiled simulated annealing over a plan of circles (numba), for :mod:`graph.plan`: steps
valued by deltas (:func:`anneal`) on a plan's state (:mod:`graph.plan.state`)."""

from __future__ import annotations

import numpy as np
from numba import njit

from graph.plan.coverage import GIVES
from graph.plan.state import build, cover, deficit_of, one, score

__all__ = ["anneal", "build", "score"]

#: Share of steps that try setting a member aside for a round (or back), when allowed.
ASIDE_SHARE = 0.02


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
         count: np.ndarray, slot: np.ndarray, sup: np.ndarray, need: np.ndarray,
         left: np.ndarray, cnt: np.ndarray, meets: np.ndarray, deficit: np.ndarray, w: np.ndarray,
         hard: np.ndarray, tp: np.ndarray, tt: np.ndarray, kind: np.ndarray, tc: np.ndarray,
         ret: np.ndarray, cols: np.ndarray, cover_weight: float, pen: np.ndarray, strict: bool,
         home: np.ndarray, keep: float, temp: float) -> float:
    """Move i from g to h (j = -1), or swap i (in g) with j (in h), in round r, if the
    annealing rule accepts; the value change (0 if not). Either group may be -1 (out of the
    round). ``pen``: as ``penalties`` of :func:`anneal`; ``strict``: a step that breaks a
    rule is refused before coverage is even valued."""
    none = down = int(-1)  # noqa: UP018, RUF046 (typed, not literal: see anneal)
    up, leaving, joining = int(1), bool(False), bool(True)  # noqa: UP018, RUF046
    new_g = deficit_of(cnt, count, cols, r, g, i, j)
    new_h = deficit_of(cnt, count, cols, r, h, j, i)
    windows = (new_g - (deficit[r, g] if g >= 0 else 0)
               + new_h - (deficit[r, h] if h >= 0 else 0))
    u1, b1, q1 = _pairs_with(r, g, i, none, leaving, members, count, w, hard, meets)
    u2, b2, q2 = _pairs_with(r, h, i, j, joining, members, count, w, hard, meets)
    u3 = b3 = q3 = u4 = b4 = q4 = 0.0
    if j >= 0:
        u3, b3, q3 = _pairs_with(r, h, j, none, leaving, members, count, w, hard, meets)
        u4, b4, q4 = _pairs_with(r, g, j, i, joining, members, count, w, hard, meets)
    aside = 0.0 if j >= 0 else one(h < 0) - one(g < 0)
    if aside != 0.0 and pen.shape[0] > 5 + r:  # sitting out an early round costs more
        aside *= pen[5 + r]
    rules = (pen[0] * (b2 + b4 - b1 - b3) + pen[1] * (q2 + q4 - q1 - q3) + pen[2] * windows
             + pen[3] * aside)
    if strict and rules > 0:
        return 0.0
    cov, moved = cover(r, g, i, down, sup, need, tp, tt, kind, tc, ret)
    if j >= 0:
        cov, moved = _plus(cov, moved, cover(r, g, j, up, sup, need, tp, tt, kind, tc, ret))
        cov, moved = _plus(cov, moved, cover(r, h, j, down, sup, need, tp, tt, kind, tc, ret))
    cov, moved = _plus(cov, moved, cover(r, h, i, up, sup, need, tp, tt, kind, tc, ret))
    stay = one(h == home[r, i]) - one(g == home[r, i])
    if j >= 0:
        stay += one(g == home[r, j]) - one(h == home[r, j])
    unbalanced = pen[4] * ((left[r] + moved) ** 2 - left[r] ** 2)
    delta: float = (u2 + u4 - u1 - u3 + cover_weight * cov - unbalanced - rules
                    + keep * stay)
    if _accept(delta, temp):
        _relocate(r, i, g, h, assign, members, count, slot, cnt, cols, meets)
        if j >= 0:
            _relocate(r, j, h, g, assign, members, count, slot, cnt, cols, meets)
        if g >= 0:
            deficit[r, g] = new_g
        if h >= 0:
            deficit[r, h] = new_h
        left[r] += moved
        return delta
    cover(r, h, i, down, sup, need, tp, tt, kind, tc, ret)
    if j >= 0:
        cover(r, h, j, up, sup, need, tp, tt, kind, tc, ret)
        cover(r, g, j, down, sup, need, tp, tt, kind, tc, ret)
    cover(r, g, i, up, sup, need, tp, tt, kind, tc, ret)
    return 0.0


@njit(cache=True)
def _plus(cov: float, moved: int, change: tuple[float, int]) -> tuple[float, int]:
    return cov + change[0], moved + change[1]


@njit(cache=True)
def _target(r: int, i: int, g: int, groups: int, assign: np.ndarray, sup: np.ndarray,
            tp: np.ndarray, tt: np.ndarray, kind: np.ndarray, tc: np.ndarray, gp: np.ndarray,
            gi: np.ndarray, directed: float) -> tuple[int, int]:
    """(group, giver to keep there) for i's next step: with probability ``directed``, the
    group of a random giver of a need of i's that nobody in g answers; else a random group."""
    if directed > 0 and tp[i + 1] > tp[i] and np.random.random() < directed:
        p = tp[i] + np.random.randint(tp[i + 1] - tp[i])
        t = tt[p]
        covered = g >= 0 and sup[r, g, t, 0] - (kind[p] & GIVES) > 0
        if tc[p] > 0 and not covered and gp[t + 1] > gp[t]:
            giver = gi[gp[t] + np.random.randint(gp[t + 1] - gp[t])]
            return assign[r, giver], giver
    return np.random.randint(groups), -1


@njit(cache=True, nogil=True)
def anneal(assign: np.ndarray, pinned: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           members: np.ndarray, count: np.ndarray, slot: np.ndarray, sup: np.ndarray,
           need: np.ndarray, left: np.ndarray, cnt: np.ndarray, meets: np.ndarray,
           deficit: np.ndarray, w: np.ndarray, hard: np.ndarray, tp: np.ndarray, tt: np.ndarray,
           kind: np.ndarray, tc: np.ndarray, ret: np.ndarray, cols: np.ndarray,
           cover_weight: float, penalties: np.ndarray, movable: np.ndarray, nfree: np.ndarray, home: np.ndarray,
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
    assign, members, count, slot, sup, need, left, cnt, meets, deficit : ndarray
        The plan and its state (:func:`~graph.plan.state.build`), updated in place.
    pinned, lo, hi, movable, nfree, home : ndarray
        Pins (-1: free), size bounds, round r's unpinned members ``movable[r, :nfree[r]]``
        and each member's group in the plan ``keep`` pays them to stay in.
    w, hard, tp, tt, kind, tc, ret, cols, gp, gi : ndarray
        As for :func:`~graph.plan.state.build`; the givers of topic t are
        ``gi[gp[t]:gp[t + 1]]``.
    cover_weight, keep, value, t0, t1, ramp, directed : float
        Weights of coverage and of staying home, the value so far, the schedule.
    penalties : ndarray
        Costs of a forbidden pair, a repeat, a unit of window deficit and a member out of a
        round; the balance between rounds (each round costs it × the square of its heaviest
        needs nobody answers); then a factor on a member out for each round.
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
                value += _try(r, i, k, g, none, assign, members, count, slot, sup, need,
                              left, cnt, meets, deficit, w, hard, tp, tt, kind, tc, ret, cols,
                              cover_weight, pen, strict, home, keep, temp)
            elif count[r, g] > lo[g]:
                value += _try(r, i, none, g, none, assign, members, count, slot, sup, need,
                              left, cnt, meets, deficit, w, hard, tp, tt, kind, tc, ret, cols,
                              cover_weight, pen, strict, home, keep, temp)
            continue
        h, giver = _target(r, i, g, groups, assign, sup, tp, tt, kind, tc, gp, gi, directed)
        if h == g or h < 0:
            continue
        if g < 0 or (slack and np.random.random() < 0.3):
            if count[r, h] < hi[h] and (g < 0 or count[r, g] > lo[g]):
                value += _try(r, i, none, g, h, assign, members, count, slot, sup, need,
                              left, cnt, meets, deficit, w, hard, tp, tt, kind, tc, ret, cols,
                              cover_weight, pen, strict, home, keep, temp)
                continue
            if g >= 0:
                continue
        j = members[r, h, np.random.randint(count[r, h])]
        if j == giver or pinned[r, j] >= 0:
            continue
        value += _try(r, i, j, g, h, assign, members, count, slot, sup, need, left, cnt,
                      meets, deficit, w, hard, tp, tt, kind, tc, ret, cols, cover_weight, pen,
                      strict, home, keep, temp)
    return value
