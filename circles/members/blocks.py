"""Blocking another member: the two are never placed in one circle or introduced again, and
neither sees the other's profile (it is not found, both ways). Only the blocker sees the
block, and only they can lift it."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from circles.errors import Conflict, NotFound
from circles.models import Block, User


def block(db: Session, blocker: User, other: User) -> Block:
    """``blocker`` blocks ``other`` (someone whose profile they can see: the caller checks)."""
    if other.id == blocker.id:
        raise Conflict(_("You cannot block yourself."))
    existing = db.scalar(select(Block).where(Block.blocker_id == blocker.id,
                                             Block.blocked_id == other.id))
    if existing is not None:
        return existing
    row = Block(blocker_id=blocker.id, blocked_id=other.id)
    db.add(row)
    db.flush()
    return row


def unblock(db: Session, blocker: User, other_id: int) -> None:
    """Lift the caller's own block; a block they did not make is not found."""
    row = db.scalar(select(Block).where(Block.blocker_id == blocker.id,
                                        Block.blocked_id == other_id))
    if row is None:
        raise NotFound("block")
    db.delete(row)
    db.flush()


def blocked_by(db: Session, user_id: int) -> list[tuple[Block, User]]:
    """The blocks the member made, newest first, with whom they blocked."""
    return [(row, person) for row, person in db.execute(
        select(Block, User).join(User, User.id == Block.blocked_id)
        .where(Block.blocker_id == user_id).order_by(Block.created_at.desc(), Block.id.desc()))]


def between(db: Session, a: int, b: int) -> bool:
    """Whether either of the two blocked the other."""
    return db.scalar(select(Block.id).where(or_(
        (Block.blocker_id == a) & (Block.blocked_id == b),
        (Block.blocker_id == b) & (Block.blocked_id == a))).limit(1)) is not None


def kept_from(db: Session, user_id: int) -> set[int]:
    """Everyone the member blocked or was blocked by."""
    rows = db.execute(select(Block.blocker_id, Block.blocked_id).where(
        or_(Block.blocker_id == user_id, Block.blocked_id == user_id)))
    return {b if a == user_id else a for a, b in rows}


def blocked_pairs(db: Session, user_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Pairs among ``user_ids`` (low id first) where one blocked the other."""
    ids = set(user_ids)
    if not ids:
        return set()
    rows = db.execute(select(Block.blocker_id, Block.blocked_id).where(
        Block.blocker_id.in_(ids), Block.blocked_id.in_(ids)))
    return {(min(a, b), max(a, b)) for a, b in rows}
