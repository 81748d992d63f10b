"""Hard constraints of formation: who must never share a circle, who cannot be placed, and
circles that must share an hour a week."""

from __future__ import annotations

import functools
import itertools
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.availability import MIN_OVERLAP, SLOT, SLOTS, overlap_minutes
from circles.models import Circle, CircleMember, RegroupConsent, Separation
from circles.utility import Utilities

CAUSES = {
    "time": "no weekly hour in common with {n}",
    "separation": "separated by a facilitator from {n}",
    "ended": "called it a day in a circle with {n}",
}


@dataclass
class Constraints:
    """Forbidden pairs (row indices, low first) with their cause, and excluded rows with why."""

    causes: dict[tuple[int, int], str] = field(default_factory=dict)
    excluded: dict[int, str] = field(default_factory=dict)

    @property
    def forbidden(self) -> set[tuple[int, int]]:
        return set(self.causes)

    def allows(self, a: int, b: int) -> bool:
        return (min(a, b), max(a, b)) not in self.causes


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def constraints_for(db: Session, community_id: int, util: Utilities) -> Constraints:
    """Separations, ended circles and availability as forbidden pairs; members who cannot be
    placed with anyone are excluded, with the reason."""
    rules = Constraints()
    index = util.index
    for low, high in db.execute(select(Separation.low_id, Separation.high_id)
                                .where(Separation.community_id == community_id)):
        if low in index and high in index:
            rules.causes[_pair(index[low], index[high])] = "separation"
    for leaver, others in _ended(db, community_id):
        for other in others:
            if leaver in index and other in index and leaver != other:
                rules.causes.setdefault(_pair(index[leaver], index[other]), "ended")
    known = [i for i, m in enumerate(util.members) if m.has_availability]
    if len(known) > 1:
        masks = np.array([util.members[i].mask for i in known])
        shared = overlap_minutes(masks)
        for x, y in zip(*np.nonzero(np.triu(shared < MIN_OVERLAP, k=1)), strict=True):
            rules.causes.setdefault(_pair(known[x], known[y]), "time")
    _exclude(rules, len(util.members))
    return rules


def _ended(db: Session, community_id: int) -> list[tuple[int, list[int]]]:
    """(member who left a circle early, the people who sat in it with them and have not both
    agreed to be grouped again)."""
    rows = db.execute(select(CircleMember.circle_id, CircleMember.user_id, CircleMember.left_at,
                             Circle.closed_at).join(Circle)
                      .where(Circle.community_id == community_id))
    seats: dict[int, list[int]] = {}
    leavers: list[tuple[int, int]] = []
    for circle_id, user_id, left_at, closed_at in rows:
        seats.setdefault(circle_id, []).append(user_id)
        if left_at is not None and (closed_at is None or left_at < closed_at):
            leavers.append((circle_id, user_id))
    # Both said they are open to it: that circle no longer keeps the two apart.
    consents = {(c, u, o) for c, u, o in db.execute(
        select(RegroupConsent.circle_id, RegroupConsent.user_id, RegroupConsent.other_id)
        .join(Circle).where(Circle.community_id == community_id))}
    return [(user_id, [other for other in seats[circle_id]
                       if not {(circle_id, user_id, other), (circle_id, other, user_id)} <= consents])
            for circle_id, user_id in leavers]


def _exclude(rules: Constraints, n: int) -> None:
    """Repeatedly set aside anyone forbidden with everyone still in the pool."""
    remaining = set(range(n))
    while len(remaining) > 1:
        stuck = [i for i in sorted(remaining)
                 if all(not rules.allows(i, j) for j in remaining if j != i)]
        if not stuck:
            return
        for i in stuck:
            causes = Counter(rules.causes[_pair(i, j)] for j in remaining if j != i)
            parts = [CAUSES[c].format(n=_people(k)) for c, k in causes.most_common()]
            rules.excluded[i] = "Cannot be placed with anyone: " + ", ".join(parts) + "."
        remaining -= set(stuck)


def _people(k: int) -> str:
    return "1 other member" if k == 1 else f"{k} other members"


def _bits(mask: np.ndarray) -> int:
    """A slot mask as one integer, so a circle's shared time is a few ANDs and a popcount."""
    return int.from_bytes(np.packbits(mask).tobytes(), "big")


def fix_common_time(circles: list[list[int]], util: Utilities, rules: Constraints,
                    sizes: tuple[int, int] | None = None) -> list[int]:
    """Swap members between circles until each shares an hour a week (in place); answer the
    indices of circles that still do not. Each swap fixes one circle and breaks none. Where
    no swap does and ``sizes`` (min, max) leave room, one member moves to another circle."""
    bits = {u: _bits(util.members[util.index[u]].mask) for circle in circles for u in circle}
    everyone = (1 << SLOTS) - 1
    need = MIN_OVERLAP // SLOT

    def shared(members: list[int]) -> int:
        return functools.reduce(operator.and_, (bits[u] for u in members), everyone)

    def without(circle: list[int]) -> dict[int, int]:
        return {x: shared([u for u in circle if u != x]) for x in circle}

    def fits(u: int, others: list[int]) -> bool:
        return all(rules.allows(util.index[u], util.index[o]) for o in others)

    def gain(x: int, y: int, c: list[int], d: list[int]) -> float:
        m, i = util.matrix, util.index
        return float(sum(m[i[y], i[u]] - m[i[x], i[u]] for u in c if u != x)
                     + sum(m[i[x], i[u]] - m[i[y], i[u]] for u in d if u != y))

    given_up: set[int] = set()
    while True:
        failing = [c for c, circle in enumerate(circles)
                   if c not in given_up and shared(circle).bit_count() < need]
        if not failing:
            return sorted(given_up)
        c = failing[0]
        rest_c = without(circles[c])
        best: tuple[float, int, int, int] | None = None
        for d, other in enumerate(circles):
            if d == c:
                continue
            rest_d, other_ok = without(other), shared(other).bit_count() >= need
            for x, y in itertools.product(circles[c], other):
                if (rest_c[x] & bits[y]).bit_count() < need:
                    continue
                if other_ok and (rest_d[y] & bits[x]).bit_count() < need:
                    continue
                stay_c = [u for u in circles[c] if u != x]
                stay_d = [u for u in other if u != y]
                if fits(y, stay_c) and fits(x, stay_d):
                    value = gain(x, y, circles[c], other)
                    if best is None or value > best[0]:
                        best = (value, d, x, y)
        if best is None and sizes is not None:
            moved = _move_out(circles, c, sizes, need, shared, fits, util)
            if moved:
                continue
        if best is None:
            given_up.add(c)
            continue
        _, d, x, y = best
        circles[c] = sorted([u for u in circles[c] if u != x] + [y])
        circles[d] = sorted([u for u in circles[d] if u != y] + [x])


def _move_out(circles: list[list[int]], c: int, sizes: tuple[int, int], need: int,
              shared: Callable[[list[int]], int], fits: Callable[[int, list[int]], bool],
              util: Utilities) -> bool:
    """Move the member of circle ``c`` whose absence gives it a shared hour into a circle
    with room that keeps (or gains) one; the best such move by utility. False if none."""
    low, high = sizes
    if len(circles[c]) - 1 < low:
        return False
    m, i = util.matrix, util.index
    best: tuple[float, int, int] | None = None
    for x in circles[c]:
        rest = [u for u in circles[c] if u != x]
        if shared(rest).bit_count() < need:
            continue
        for d, other in enumerate(circles):
            if d == c or len(other) + 1 > high or not fits(x, other):
                continue
            if shared([*other, x]).bit_count() < need:
                continue
            value = float(sum(m[i[x], i[u]] for u in other) - sum(m[i[x], i[u]] for u in rest))
            if best is None or value > best[0]:
                best = (value, d, x)
    if best is None:
        return False
    _, d, x = best
    circles[c] = [u for u in circles[c] if u != x]
    circles[d] = sorted([*circles[d], x])
    return True
