"""The state of a plan for :mod:`graph.plan.kernel`'s compiled steps (numba): per group and
topic, the sums coverage is read from, each round's unanswered heaviest needs (the balance
term), the window counts and the meetings; built from scratch (:func:`build`) and valued
from scratch (:func:`score`, the reference the steps' deltas are tested against)."""

from __future__ import annotations

import numpy as np
from numba import njit

from graph.plan.coverage import GIVES, HEAVIEST

__all__ = ["build", "cover", "deficit_of", "one", "score"]


@njit(cache=True)
def one(flag: bool) -> float:
    """1.0 for True, 0.0 for False.

    Parameters
    ----------
    flag : bool

    Returns
    -------
    float
    """
    return 1.0 if flag else 0.0


@njit(cache=True)
def _topic_value(dn: float, ds: float, k: int, ret: np.ndarray) -> float:
    return dn * ret[k] + (ds * ret[k - 1] if k >= 1 else 0.0)  # type: ignore[no-any-return]


@njit(cache=True)
def _unanswered(k: int, top_n: int, top_g: int) -> int:
    """Heaviest needs of a group's members left unanswered with k givers of their topic:
    ``top_n`` members who do not give it need one giver, ``top_g`` who do need another."""
    left: int = (top_n if k < 1 else 0) + (top_g if k < 2 else 0)
    return left


@njit(cache=True)
def cover(r: int, g: int, i: int, sign: int, sup: np.ndarray, need: np.ndarray, tp: np.ndarray,
          tt: np.ndarray, kind: np.ndarray, tc: np.ndarray, ret: np.ndarray) -> tuple[float, int]:
    """Add or remove member i's topics in a group's sums.

    Parameters
    ----------
    r, g, i : int
        Round, group (-1: none, nothing changes) and member.
    sign : int
        1 to add, -1 to remove.
    sup, need : ndarray
        The sums of :func:`build`, updated in place.
    tp, tt, kind, tc, ret : ndarray
        As for :func:`build`.

    Returns
    -------
    (float, int)
        The change in coverage, and in the round's heaviest needs nobody answers.
    """
    delta, left = 0.0, 0
    if g < 0:
        return delta, left
    for p in range(tp[i], tp[i + 1]):
        t, gives, heaviest, c = tt[p], kind[p] & GIVES, kind[p] & HEAVIEST, tc[p]
        k, a, b = sup[r, g, t, 0], need[r, g, t, 0], need[r, g, t, 1]
        before = _topic_value(a, b, k, ret)
        if gives:
            k += sign
            b += sign * c
        else:
            a += sign * c
        sup[r, g, t, 0], need[r, g, t, 0], need[r, g, t, 1] = k, a, b
        delta += _topic_value(a, b, k, ret) - before
        if gives or heaviest:  # nothing else changes who is left unanswered
            top_n, top_g = sup[r, g, t, 1], sup[r, g, t, 2]
            was = _unanswered(k - sign if gives else k, top_n, top_g)
            if heaviest:
                if gives:
                    top_g += sign
                    sup[r, g, t, 2] = top_g
                else:
                    top_n += sign
                    sup[r, g, t, 1] = top_n
            left += _unanswered(k, top_n, top_g) - was
    return delta, left


@njit(cache=True)
def deficit_of(cnt: np.ndarray, count: np.ndarray, cols: np.ndarray, r: int, g: int, out: int,
             into: int) -> int:
    """A group's window deficit: its size less its most members free at one column.

    Parameters
    ----------
    cnt, count, cols : ndarray
        Members free per column and group sizes (:func:`build`), and members' columns.
    r, g : int
        Round and group (-1: none, 0).
    out, into : int
        A member leaving and one joining (-1: none).

    Returns
    -------
    int
    """
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
          kind: np.ndarray, tc: np.ndarray, ret: np.ndarray, cols: np.ndarray,
          prior: np.ndarray) -> tuple[np.ndarray, ...]:
    """The state of a plan, from which every step's change in value is read.

    Parameters
    ----------
    assign : ndarray of int64
        rounds × n groups (-1: out of the round).
    groups, width, topics : int
        Groups per round, room in a member list (largest size + 1), topics.
    tp, tt, kind, tc, ret, cols, prior : ndarray
        Topic lists with each entry's ``kind`` (bits ``GIVES`` and ``HEAVIEST``: the
        member's heaviest need), returns (:mod:`graph.plan.coverage`), start columns, prior
        meetings.

    Returns
    -------
    tuple of ndarray
        ``members[r, g, :count[r, g]]`` and each member's ``slot`` there; per group and
        topic t, ``sup[r, g, t]``: givers, members whose heaviest need is t who do not give
        it, and who do; ``need[r, g, t]``: need weights of members who do not / do give t
        (nobody answers their own need: coverage is ``Σ_t need₀·ret[givers] +
        need₁·ret[givers − 1]``); ``left[r]``: round r's heaviest needs nobody answers;
        ``cnt[r, g, c]`` members free at column c; ``meets``; each group's window
        ``deficit``: members who must leave for the rest to share a column.

    Notes
    -----
    O(R·n·(T + U) + R·G·S² + n²) for T topics a member has, U columns, group size S.
    """
    rounds, n = assign.shape
    members = np.full((rounds, groups, width), -1, dtype=np.int64)
    count = np.zeros((rounds, groups), dtype=np.int64)
    slot = np.zeros((rounds, n), dtype=np.int64)
    sup = np.zeros((rounds, groups, topics, 3), dtype=np.int64)
    need = np.zeros((rounds, groups, topics, 2))
    left = np.zeros(rounds, dtype=np.int64)
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
            added = cover(r, g, i, int(1), sup, need, tp, tt, kind, tc, ret)  # noqa: UP018, RUF046
            left[r] += added[1]
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
            deficit[r, g] = deficit_of(cnt, count, cols, r, g, -1, -1)
    return members, count, slot, sup, need, left, cnt, meets, deficit


@njit(cache=True)
def score(assign: np.ndarray, groups: int, w: np.ndarray, hard: np.ndarray, prior: np.ndarray,
          tp: np.ndarray, tt: np.ndarray, kind: np.ndarray, tc: np.ndarray, ret: np.ndarray,
          topics: int, cols: np.ndarray) -> np.ndarray:
    """The parts of a plan's value from scratch (the reference the deltas are tested against).

    Parameters
    ----------
    assign : ndarray of int64
        rounds × n groups (-1: out of the round).
    groups, topics : int
    w, hard, prior, tp, tt, kind, tc, ret, cols : ndarray
        Pair utilities, forbidden pairs, prior meetings, as for :func:`build`.

    Returns
    -------
    ndarray
        ``[pair utility, coverage, forbidden pairs, repeated meetings, window deficit,
        members sitting a round out, Σ over rounds of the squared count of heaviest needs
        nobody answers]``.

    Notes
    -----
    As :func:`build`, plus O(R·G·T) for coverage.
    """
    rounds, n = assign.shape
    members, count, _, sup, need, left, _, meets, deficit = build(
        assign, groups, n + 1, topics, tp, tt, kind, tc, ret, cols, prior)
    out = np.zeros(7)
    for r in range(rounds):
        for i in range(n):
            out[5] += one(assign[r, i] < 0)
        for g in range(groups):
            for a in range(count[r, g]):
                for b in range(a + 1, count[r, g]):
                    x, y = members[r, g, a], members[r, g, b]
                    out[0] += w[x, y]
                    out[2] += hard[x, y]
            for t in range(topics):
                out[1] += _topic_value(need[r, g, t, 0], need[r, g, t, 1], sup[r, g, t, 0], ret)
            out[4] += deficit[r, g]
        out[6] += left[r] ** 2
    for x in range(n):
        for y in range(x + 1, n):
            out[3] += max(meets[x, y] - 1, 0)
    return out


