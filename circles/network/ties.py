"""Existing ties: the network members already have, before any circle widens it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from circles.communities.community import membership_of
from circles.errors import InvalidInput, NotFound
from circles.models import Community, Membership, Tie, User


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def find_tie(db: Session, a: int, b: int) -> Tie | None:
    low, high = ordered(a, b)
    return db.scalar(select(Tie).where(Tie.low_id == low, Tie.high_id == high))


def add_tie(db: Session, a: int, b: int, *, source: str, community_id: int | None = None,
            declared_by_id: int | None = None) -> Tie:
    """Record that two people know each other well; an existing tie is returned as it is."""
    if a == b:
        raise InvalidInput.field("other", _("A tie links two different people."))
    existing = find_tie(db, a, b)
    if existing is not None:
        return existing
    low, high = ordered(a, b)
    tie = Tie(low_id=low, high_id=high, source=source, community_id=community_id,
              declared_by_id=declared_by_id)
    db.add(tie)
    db.flush()
    return tie


def declare_tie(db: Session, user: User, community: Community, other_id: int) -> Tie:
    """A member says they already know another member of a shared community well."""
    members = (membership_of(db, user.id, community.id), membership_of(db, other_id, community.id))
    if any(m is None for m in members):
        raise NotFound("member")
    return add_tie(db, user.id, other_id, source="declared", community_id=community.id,
                   declared_by_id=user.id)


def removable_by(tie: Tie, user_id: int) -> bool:
    """A declared tie is one person's word about two: either of the two may take it back
    (its target need not let a claim about them stand). Imported ties come from records
    and stay; nobody else learns that the tie exists."""
    return tie.source == "declared" and user_id in (tie.low_id, tie.high_id)


def remove_declared_tie(db: Session, user: User, tie_id: int) -> None:
    """Withdraw a declared tie, by its author or by the member it names; else not found."""
    tie = db.get(Tie, tie_id)
    if tie is None or not removable_by(tie, user.id):
        raise NotFound("tie")
    db.delete(tie)


def ties_of(db: Session, user_id: int) -> list[Tie]:
    return list(
        db.scalars(select(Tie).where(or_(Tie.low_id == user_id, Tie.high_id == user_id)))
    )


def other_end(tie: Tie, user_id: int) -> int:
    return tie.high_id if tie.low_id == user_id else tie.low_id


def people_known_by(db: Session, user_id: int) -> list[tuple[Tie, User]]:
    """The user's ties with the person at the other end, by name."""
    ties = ties_of(db, user_id)
    others = {other_end(tie, user_id) for tie in ties}
    people = {u.id: u for u in db.scalars(select(User).where(User.id.in_(others)))} if others else {}
    pairs = [(tie, people[other_end(tie, user_id)]) for tie in ties]
    return sorted(pairs, key=lambda pair: pair[1].display_name.casefold())


def shared_communities(db: Session, a: int, b: int) -> list[Community]:
    """Communities both people belong to: where one may declare a tie with the other."""
    mine, theirs = aliased(Membership), aliased(Membership)
    return list(
        db.scalars(
            select(Community)
            .join(mine, mine.community_id == Community.id)
            .join(theirs, theirs.community_id == Community.id)
            .where(mine.user_id == a, theirs.user_id == b)
            .order_by(Community.id)
        )
    )
