"""Tie history: every dated event that makes two members a tie, and the rounds they fall in.

A tie between two members is the sum of its events (see ``WEIGHTS``): an existing tie
(declared or imported: strong from the start; made through an introduction: weak), each
circle they shared, each session they attended together and each feedback they exchanged.
Events keep their time, so the network at any past moment is the events before it.

Sharing a circle makes a tie only once the two have actually met: attended one of its
sessions together (in the live room, or as the members confirmed afterwards — both leave an
``Interaction``), or already knew each other (a declared or imported tie). The circle's event
is dated when they first met in it.

The loaders take a pair filter and run one indexed query per source (Tie, Interaction,
CircleMember pairs); they are shared by a member's network (``circles.network.ego``) and the
facilitator's aggregates (``circles.network.community``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ARRAY, ColumnElement, Integer, and_, any_, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from circles.communities.rounds import round_numbers
from circles.languages import current_language
from circles.members.local_time import local_time
from circles.models import (
    Circle,
    CircleMember,
    CircleSession,
    Interaction,
    Membership,
    Tie,
    as_utc,
)

# What each event adds to a tie's strength; graph.network.STRONG (3) makes a tie strong.
WEIGHTS = {
    "declared": 3.0,  # "we already know each other well"
    "imported": 3.0,
    "introduction": 1.0,  # a new acquaintance: weak until they meet
    "circle": 1.0,  # shared a circle
    "session": 1.0,  # attended a session together (Interaction written when it ends)
    "feedback": 1.0,  # exchanged feedback in a session
}
INTERACTION_WEIGHTED = ("session", "feedback")
KNEW = ("declared", "imported")  # ties that say two people have met already
MAX_STRENGTH = 10.0  # a long shared history should not swamp every other tie's weight

Pair = tuple[int, int]
Event = tuple[datetime, str]
Events = dict[Pair, list[Event]]
Meetings = dict[tuple[int, Pair], datetime]  # (circle id, pair) → first session together



def pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def strength(events: list[Event], before: datetime | None = None) -> float:
    """A tie's strength from its events before ``before`` (all when None): their weights,
    at least 1 and at most MAX_STRENGTH; 0 when there is no event yet."""
    weights = [WEIGHTS.get(kind, 0.0) for at, kind in events if before is None or at < before]
    return max(1.0, min(sum(weights), MAX_STRENGTH)) if weights else 0.0


def first_met(events: list[Event]) -> datetime:
    return min(at for at, _ in events)


def one_of(db: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``: one parameter instead of one per
    id, which psycopg and SQLAlchemy handle far faster for hundreds of ids (same index use)."""
    clause: ColumnElement[bool]
    if db.get_bind().dialect.name == "postgresql":
        clause = column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    else:
        clause = column.in_(list(ids))
    return clause


def _pairs_where(db: Session, low: Any, high: Any, *, ego: int | None,
                 among: list[int] | None, touching: bool) -> ColumnElement[bool]:
    if ego is not None:
        return or_(low == ego, high == ego)
    assert among is not None
    if touching:
        return or_(one_of(db, low, among), one_of(db, high, among))
    return and_(one_of(db, low, among), one_of(db, high, among))


def load_events(db: Session, *, ego: int | None = None, among: list[int] | None = None,
                touching: bool = False, community_id: int | None = None) -> Events:
    """Events of the pairs that involve ``ego``; or lie within ``among`` (``touching``: have
    one end in it); or lie within the members of ``community_id``."""
    events: Events = defaultdict(list)
    if among is not None and not among:
        return events

    def where(low: Any, high: Any) -> list[ColumnElement[bool]]:
        if community_id is not None:
            m1, m2 = aliased(Membership), aliased(Membership)
            return [
                select(m1.id).where(m1.community_id == community_id, m1.user_id == low).exists(),
                select(m2.id).where(m2.community_id == community_id, m2.user_id == high).exists(),
            ]
        return [_pairs_where(db, low, high, ego=ego, among=among, touching=touching)]

    tie_where = where(Tie.low_id, Tie.high_id)
    wanted: set[int] | None = None
    if among is not None and not touching and community_id is None:
        # Given two IN lists, SQLite probes the (low_id, high_id) unique index for every
        # pair of ids (n² lookups); one list and a check here is n lookups.
        tie_where, wanted = [one_of(db, Tie.low_id, among)], set(among)
    rows = db.connection().execute  # Core rows: no ORM result processing for bulk reads
    for low, high, source, at in rows(
            select(Tie.low_id, Tie.high_id, Tie.source, Tie.created_at).where(*tie_where)):
        if wanted is None or high in wanted:
            events[(low, high)].append((at if at.tzinfo else at.replace(tzinfo=UTC), source))
    met_in: Meetings = {}
    for low, high, kind, at, circle_id in rows(
            select(Interaction.low_id, Interaction.high_id, Interaction.kind, Interaction.at,
                   CircleSession.circle_id)
            .outerjoin(CircleSession, CircleSession.id == Interaction.session_id)
            .where(*where(Interaction.low_id, Interaction.high_id))):
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        # Other kinds (the "introduction" recorded beside an introduction's Tie) add nothing.
        events[(low, high)].append((at, kind if kind in INTERACTION_WEIGHTED else "noted"))
        if kind == "session" and circle_id is not None:
            key = (circle_id, (low, high))
            met_in[key] = min(met_in.get(key, at), at)
    _circle_events(db, events, met_in, ego=ego, among=among, touching=touching,
                   community_id=community_id)
    return events


def _circle_events(db: Session, events: Events, met_in: Meetings, *, ego: int | None,
                   among: list[int] | None, touching: bool, community_id: int | None) -> None:
    """One "circle" event per circle two people sat in at the same time and met in: when
    they first attended one of its sessions together, or, for two who already knew each
    other (their declared or imported tie is in ``events``), when the later of them joined."""
    a, b = aliased(CircleMember), aliased(CircleMember)
    query = (select(a.circle_id, a.user_id, a.joined_at, a.left_at,
                    b.user_id, b.joined_at, b.left_at)
             .join(b, and_(b.circle_id == a.circle_id, b.user_id != a.user_id)))
    if community_id is not None:
        query = query.join(Circle, Circle.id == a.circle_id).where(
            Circle.community_id == community_id, a.user_id < b.user_id)
    elif ego is not None:
        query = query.where(a.user_id == ego)
    else:
        assert among is not None
        query = query.where(one_of(db, a.user_id, among))
        if not touching:
            query = query.where(one_of(db, b.user_id, among), a.user_id < b.user_id)
    met: dict[tuple[int, Pair], datetime] = {}
    for circle_id, ua, ja, la, ub, jb, lb in db.connection().execute(query):
        start = max(as_utc(ja), as_utc(jb))
        ends = [as_utc(t) for t in (la, lb) if t is not None]
        if ends and min(ends) <= start:
            continue  # they sat in the circle at different times
        key = (circle_id, pair(ua, ub))
        if key not in met or start < met[key]:
            met[key] = start  # several stays in one circle: the earliest meeting counts
    for (circle_id, p), start in met.items():
        first = met_in.get((circle_id, p))
        if first is not None:
            events[p].append((max(start, first), "circle"))
        elif any(kind in KNEW for _, kind in events.get(p, ())):
            events[p].append((start, "circle"))


@dataclass(frozen=True)
class Round:
    """A point of a timeline: the network as it stood at the end of a round.

    ``at`` is when the round began (None for "Before Circles"), ``until`` when the next one
    did (None for the round running now).
    """

    number: int
    label: str
    at: datetime | None
    until: datetime | None

    def contains(self, moment: datetime) -> bool:
        started = self.at is None or self.at <= moment
        return started and (self.until is None or moment < self.until)


def timeline(starts: list[datetime], labels: dict[datetime, str] | None = None) -> list[Round]:
    """"Before Circles", then one point per start (sorted, distinct), the last one "(now)".

    ``labels`` names a start ("Round 2", "Formed by hand, 03 Dec"); a start without one is
    numbered in order ("Round 3")."""
    starts = sorted(set(starts))
    if not starts:
        return [Round(0, _("Now"), None, None)]
    ends: list[datetime | None] = [*starts[1:], None]
    rounds = [Round(0, _("Before Circles"), None, starts[0])]
    for number, (at, until) in enumerate(zip(starts, ends, strict=True), start=1):
        label = (labels or {}).get(at) or _("Round %(number)s", number=number)
        rounds.append(Round(number, label if until is not None
                            else _("%(round)s (now)", round=label), at, until))
    return rounds


def placements(db: Session, user_id: int) -> dict[datetime, list[int]]:
    """When the member was placed in circles: round start → the circles placed then.

    Circles from one formation round (same run and ``round_no``) are one placement; each
    circle formed by hand is its own. A placement starts when the member took the seat.
    """
    groups: dict[Any, tuple[datetime, list[int]]] = {}
    for circle_id, run_id, round_no, joined in db.execute(
            select(CircleMember.circle_id, Circle.formation_run_id, Circle.round_no,
                   CircleMember.joined_at)
            .join(Circle, Circle.id == CircleMember.circle_id)
            .where(CircleMember.user_id == user_id)):
        key = (run_id, round_no) if round_no is not None else ("circle", circle_id)
        start = as_utc(joined)
        earlier, circles = groups.get(key, (start, []))
        groups[key] = (min(earlier, start), [*circles, circle_id])
    result: dict[datetime, list[int]] = defaultdict(list)
    for start, circles in groups.values():
        result[start].extend(circles)
    return dict(result)


def round_circles(db: Session, community_id: int) -> dict[datetime, list[int]]:
    """A community's rounds by when each began, with their circles: one round per formation
    round (run, round_no), one per day on which circles were formed by hand."""
    rounds: dict[Any, tuple[datetime, list[int]]] = {}
    for circle_id, run_id, round_no, created in db.execute(
            select(Circle.id, Circle.formation_run_id, Circle.round_no, Circle.created_at)
            .where(Circle.community_id == community_id)):
        at = as_utc(created)
        key = (run_id, round_no) if round_no is not None else ("hand", at.date())
        began, circles = rounds.get(key, (at, []))
        rounds[key] = (min(began, at), [*circles, circle_id])
    by_start: dict[datetime, list[int]] = defaultdict(list)
    for began, circles in rounds.values():
        by_start[began].extend(circles)
    return dict(by_start)


def member_timeline(db: Session, user_id: int) -> list[Round]:
    """The member's timeline: "Before Circles", one point per placement, the last one now.
    A formation round is named by the community's number, as on every page ("Round 2"); a
    circle formed by hand by its name."""
    starts = placements(db, user_id)
    circles = {c.id: c for c in db.scalars(select(Circle).where(
        Circle.id.in_([cid for ids in starts.values() for cid in ids])))}
    numbers: dict[int, dict[tuple[int, int], int]] = {}
    labels: dict[datetime, str] = {}
    for at, ids in starts.items():
        words = []
        for circle in (circles[cid] for cid in sorted(ids)):
            if circle.formation_run_id is None or circle.round_no is None:
                words.append(circle.name)
                continue
            known = numbers.setdefault(circle.community_id,
                                       round_numbers(db, circle.community_id))
            words.append(f"Round {known[(circle.formation_run_id, circle.round_no)]}")
        labels[at] = " · ".join(dict.fromkeys(words))
    return timeline(list(starts), labels)


def community_starts(db: Session, community_id: int) -> dict[datetime, str]:
    """When each of a community's rounds began, with its label: one per formation round
    (numbered as on every other page, ``circles.communities.rounds``), and one per day on
    which circles were formed by hand (those belong to no round)."""
    numbers = round_numbers(db, community_id)
    starts: dict[Any, datetime] = {}
    for run_id, round_no, created in db.execute(
            select(Circle.formation_run_id, Circle.round_no, Circle.created_at)
            .where(Circle.community_id == community_id)):
        at = as_utc(created)
        key = (run_id, round_no) if round_no is not None else ("hand", at.date())
        starts[key] = min(starts.get(key, at), at)
    labelled: dict[datetime, str] = {}
    for key, at in sorted(starts.items(), key=lambda item: item[1]):
        if key[0] == "hand":
            label = _("Formed by hand, %(day)s", day=local_time(at.date(), "short", zone=None,
                                                                language=current_language()))
        else:
            label = _("Round %(number)s", number=numbers[key])
        labelled[at] = " · ".join(filter(None, (labelled.get(at), label)))
    return labelled
