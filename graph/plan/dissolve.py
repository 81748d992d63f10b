"""The last resort of a plan whose members may sit a round out: where the search left a pair
meeting again or a group with no shared window, members leave that group for another that
keeps every rule, or sit the round out; a group at its smallest size is taken apart whole.

The search weighs a repeat above a member sitting out, but it moves one member at a time and
never below a group's smallest size, so a small group whose members share hours with nobody
else (people in an unusual time zone, say) can be left meeting again round after round."""

from __future__ import annotations

import numpy as np

from graph.plan.rules import Pair, Rounds, breaks

__all__ = ["dissolve"]


def dissolve(assign: np.ndarray, *, bounds: list[Pair], hard: np.ndarray, prior: np.ndarray,
             cols: np.ndarray | None, pins: np.ndarray, repeats: bool = True) -> None:
    """Take apart, in ``assign``, every group without pins that breaks the repeat or window
    rule: its members join other groups that keep every rule, or sit the round out. The last
    group of a round is left (its break named): a round is not emptied.

    Parameters
    ----------
    assign : ndarray of int64
        rounds × n: each member's group (-1: out of the round); changed in place. A group may
        end up empty in a round.
    bounds : list of (int, int)
        ``(min, max)`` size of each group.
    hard, prior : ndarray
        n×n forbidden pairs and meetings before the plan.
    cols : ndarray, optional
        n×U start columns; None: no window rule.
    pins : ndarray
        rounds × n pins (-1: free); a group holding a pinned member is left as it is.
    repeats : bool
        Whether meeting again is a break to remove (False when repeats are allowed).

    Examples
    --------
    >>> assign = np.array([[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2]])
    >>> no = np.zeros((6, 6), dtype=np.int8)
    >>> dissolve(assign, bounds=[(2, 2)] * 3, hard=no, prior=no, cols=None,
    ...          pins=np.full((2, 6), -1))
    >>> assign.tolist()
    [[0, 0, 1, 1, 2, 2], [-1, -1, -1, -1, 2, 2]]

    Notes
    -----
    O(B·(n² + R·G·S²)) for B breaks removed.
    """
    groups = len(bounds)
    plan = [[[int(m) for m in np.flatnonzero(row == g)] for g in range(groups)] for row in assign]
    left: set[tuple[int, int]] = set()
    while True:
        found = [(int(b[1]), _group(plan, b)) for b in breaks(plan, hard=hard, prior=prior,
                                                             cols=cols)
                 if b[0] == "window" or (repeats and b[0] == "repeat")]
        found = [(r, g) for r, g in found if (r, g) not in left]
        if not found:
            return
        r, g = found[0]
        alone = sum(1 for group in plan[r] if group) == 1
        if alone or any(pins[r, m] >= 0 for m in plan[r][g]):
            left.add((r, g))
            continue
        leaving, plan[r][g] = plan[r][g], []
        met = _meetings(plan, prior)
        for m in leaving:
            home = next((h for h, group in enumerate(plan[r]) if h != g
                         and len(group) < bounds[h][1]
                         and _fits(m, group, hard, met, cols)), -1)
            assign[r, m] = home
            if home >= 0:
                met[m, plan[r][home]] += 1
                met[plan[r][home], m] += 1
                plan[r][home].append(m)


def _group(plan: Rounds, found: tuple[int | str, ...]) -> int:
    """The group of a break: given for a window, the pair's group for the others."""
    r = int(found[1])
    if found[0] == "window":
        return int(found[2])
    return next(g for g, group in enumerate(plan[r]) if found[2] in group)


def _meetings(plan: Rounds, prior: np.ndarray) -> np.ndarray:
    """Meetings of every pair: before the plan and in any of its rounds."""
    met = np.array(prior, dtype=np.int32)
    for groups in plan:
        for group in groups:
            met[np.ix_(group, group)] += 1
    np.fill_diagonal(met, 0)
    return met


def _fits(m: int, group: list[int], hard: np.ndarray, met: np.ndarray,
          cols: np.ndarray | None) -> bool:
    """Whether ``m`` can join ``group``: no forbidden pair, nobody met, an hour shared."""
    if not group or hard[m, group].any() or met[m, group].any():
        return False
    return cols is None or bool(cols[[*group, m]].all(axis=0).any())
