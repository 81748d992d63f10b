"""Existing ties: the network members already have, before any circle widens it."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from circles.communities import membership_of
from circles.errors import InvalidInput, NotFound
from circles.models import Community, Tie, User


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def find_tie(db: Session, a: int, b: int) -> Tie | None:
    low, high = ordered(a, b)
    return db.scalar(select(Tie).where(Tie.low_id == low, Tie.high_id == high))


def add_tie(db: Session, a: int, b: int, *, source: str, community_id: int | None = None,
            declared_by_id: int | None = None) -> Tie:
    """Record that two people know each other well; an existing tie is returned as it is."""
    if a == b:
        raise InvalidInput.field("other", "A tie links two different people.")
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
    if membership_of(db, other_id, community.id) is None:
        raise NotFound("member")
    return add_tie(db, user.id, other_id, source="declared", community_id=community.id,
                   declared_by_id=user.id)


def remove_declared_tie(db: Session, user: User, tie_id: int) -> None:
    tie = db.get(Tie, tie_id)
    if tie is None or tie.declared_by_id != user.id:
        raise NotFound("tie")
    db.delete(tie)


def ties_of(db: Session, user_id: int) -> list[Tie]:
    return list(
        db.scalars(select(Tie).where(or_(Tie.low_id == user_id, Tie.high_id == user_id)))
    )
