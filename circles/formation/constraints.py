"""The rules formation keeps, read from the community: separations, blocks between two members
and circles someone called it a day in (forbidden pairs), earlier circles (pairs who met), and weekly hours; members who
cannot sit in any circle are set aside with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.formation.pair_utility import Utilities
from circles.kept import in_every_language
from circles.members.availability import meeting_starts
from circles.members.blocks import blocked_pairs
from circles.models import Circle, CircleMember, RegroupConsent, Separation

Pair = tuple[int, int]
#: A forbidden pair's cause as the number ``pair_codes`` gives it (3 is "no shared hour").
CODES = {"separation": 1, "ended": 2, "time": 3, "kept_apart": 4}


#: Why a member cannot be placed, per cause (``%(people)s``: how many others). The reasons are
#: kept with the run (``run.excluded``) and read later by the facilitator, by ``placement_fix``
#: (in English) and, in a notice, by the member: written in every language (``circles.kept``).
CAUSES = {
    "time": _l("no weekly hour in common with %(people)s"),
    "separation": _l("separated by a facilitator from %(people)s"),
    "ended": _l("called it a day in a circle with %(people)s"),
    "kept_apart": _l("kept apart at a member's request from %(people)s"),
}


@dataclass
class Constraints:
    """Rules over the rows of a ``Utilities``: forbidden pairs (low row first) with their
    cause, pairs who already shared a circle, each member's possible meeting starts, and the
    rows set aside with why."""

    causes: dict[Pair, str] = field(default_factory=dict)
    met: set[Pair] = field(default_factory=set)
    starts: np.ndarray | None = None  # rows × SLOTS; None when nobody gave weekly hours
    excluded: dict[int, str] = field(default_factory=dict)

    @property
    def forbidden(self) -> set[Pair]:
        return set(self.causes)


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def constraints_for(db: Session, community_id: int, util: Utilities, *,
                    min_size: int = 2) -> Constraints:
    """Separations and ended circles as forbidden pairs, earlier circles as pairs who met,
    availability as meeting starts; members who cannot sit in a circle of ``min_size``
    whose members share an hour are excluded, with the reason."""
    rules = Constraints()
    index = util.index
    for low, high in db.execute(select(Separation.low_id, Separation.high_id)
                                .where(Separation.community_id == community_id)):
        if low in index and high in index:
            rules.causes[_pair(index[low], index[high])] = "separation"
    for low, high in blocked_pairs(db, index):
        rules.causes.setdefault(_pair(index[low], index[high]), "kept_apart")
    for leaver, others in ended_pairs(db, community_id):
        for other in others:
            if leaver in index and other in index and leaver != other:
                rules.causes.setdefault(_pair(index[leaver], index[other]), "ended")
    open_again = consented_pairs(db, community_id)
    rows, cols = np.nonzero(np.triu(util.shared_circle, k=1))
    rules.met = {(int(a), int(b)) for a, b in zip(rows, cols, strict=True)
                 if (util.members[a].id, util.members[b].id) not in open_again}
    if any(m.has_availability for m in util.members):
        rules.starts = np.array([meeting_starts(m.mask) for m in util.members])
    _exclude(rules, util, min_size)
    return rules


def ended_pairs(db: Session, community_id: int) -> list[tuple[int, list[int]]]:
    """(member who left a circle early, the people who sat in it with them and have not both
    agreed to be grouped again)."""
    rows = db.execute(select(CircleMember.circle_id, CircleMember.user_id, CircleMember.left_at,
                             Circle.closed_at).join(Circle)
                      .where(Circle.community_id == community_id))
    seats: dict[int, list[int]] = {}
    leavers: list[tuple[int, int]] = []
    for circle_id, user_id, left_at, closed_at in rows:
        seats.setdefault(circle_id, []).append(user_id)
        if left_at is not None and (closed_at is None or left_at <= closed_at):
            leavers.append((circle_id, user_id))
    consents = _consents(db, community_id)
    return [(user_id, [other for other in seats[circle_id]
                       if not {(circle_id, user_id, other), (circle_id, other, user_id)} <= consents])
            for circle_id, user_id in leavers]


def _consents(db: Session, community_id: int) -> set[tuple[int, int, int]]:
    return {(c, u, o) for c, u, o in db.execute(
        select(RegroupConsent.circle_id, RegroupConsent.user_id, RegroupConsent.other_id)
        .join(Circle).where(Circle.community_id == community_id))}


def consented_pairs(db: Session, community_id: int) -> set[Pair]:
    """(user, other) both ways for pairs who both said they are open to a circle together
    again: meeting again is what they asked for, so it is no repeat."""
    consents = _consents(db, community_id)
    both = {(u, o) for c, u, o in consents if (c, o, u) in consents}
    return both | {(o, u) for u, o in both}


def time_overlap(starts: np.ndarray) -> np.ndarray:
    """Rows × rows: True where two members share at least one meeting start.

    Identical columns are merged first, so the product stays small for a week of 5-minute
    slots."""
    used = starts[:, starts.any(axis=0)]
    if used.size:
        used = np.unique(used, axis=1)
    as_float = used.astype(np.float32)
    return np.asarray(np.matmul(as_float, as_float.T) > 0, dtype=bool)


def pair_codes(rules: Constraints, n: int) -> np.ndarray:
    """Rows × rows: 0 where a pair may meet, else 1 separation, 2 ended, 3 no shared hour,
    4 kept apart at a member's request (a block)."""
    codes = np.zeros((n, n), dtype=np.int8)
    if rules.starts is not None:
        codes[~time_overlap(rules.starts)] = 3
    for (a, b), cause in rules.causes.items():
        codes[a, b] = codes[b, a] = CODES[cause]
    np.fill_diagonal(codes, 0)
    return codes


def _exclude(rules: Constraints, util: Utilities, min_size: int) -> None:
    """Set aside, until nothing changes, anyone forbidden with everyone still in the pool or
    with no meeting start at which ``min_size - 1`` others in the pool are free."""
    n = len(util.members)
    codes = pair_codes(rules, n)
    names = {code: cause for cause, code in CODES.items()}
    remaining = np.ones(n, dtype=bool)
    while remaining.sum() > 1:
        stuck: dict[int, str] = {}
        others = remaining.sum() - 1
        blocked = (codes[:, remaining] != 0).sum(axis=1)
        for i in np.flatnonzero(remaining & (blocked == others)):
            counts = np.bincount(codes[i, remaining], minlength=len(CODES) + 1)

            def cannot(counts: np.ndarray = counts) -> str:
                parts = [str(CAUSES[names[c]]) % {"people": _people(int(counts[c]))}
                         for c in sorted(names, key=lambda c: -counts[c]) if counts[c]]
                return str(_("Cannot be placed with anyone: %(causes)s.",
                               causes=", ".join(parts)))
            stuck[int(i)] = in_every_language(cannot)
        if not stuck and rules.starts is not None and 2 < min_size <= remaining.sum():
            stuck = _no_common_start(rules.starts, remaining, min_size)
        if not stuck:
            return
        rules.excluded.update(stuck)
        remaining[list(stuck)] = False


def _no_common_start(starts: np.ndarray, remaining: np.ndarray,
                     min_size: int) -> dict[int, str]:
    """Members with no meeting start at which ``min_size - 1`` others are free too."""
    free = starts[remaining].sum(axis=0)
    best = np.where(starts, free[None, :] - 1, 0).max(axis=1)
    def no_hour(most: int) -> str:
        return str(_("No hour a week when %(others)s others are free at the same time as them "
                     "(at most %(most)s; circles here have at least %(min)s).",
                     others=min_size - 1, most=_people(most), min=min_size))
    return {int(i): in_every_language(partial(no_hour, int(best[i])))
            for i in np.flatnonzero(remaining & (best < min_size - 1))}


def _people(k: int) -> str:
    return str(ngettext("%(num)d other member", "%(num)d other members", k))
