"""Carry-over: agenda items a session did not reach move to the circle's next session.

When a live session ends, each item whose round was never held (``covered`` still false) is
copied to the circle's next scheduled session, marked as carried over
(``AgendaItem.carried_from_id``), where the review phase lists it. A circle with no next
session yet gets them when its next session starts (``carry_into``). Each item is carried
once; one not reached again is carried on from its copy.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from circles.models import AgendaItem, CircleSession


def next_session(db: Session, session: CircleSession) -> CircleSession | None:
    """The circle's next scheduled session after ``session``, if one is planned."""
    return db.scalar(select(CircleSession).where(
        CircleSession.circle_id == session.circle_id, CircleSession.id != session.id,
        CircleSession.status == "scheduled", CircleSession.starts_at >= session.starts_at)
        .order_by(CircleSession.starts_at, CircleSession.id).limit(1))


def not_reached(db: Session, session_id: int) -> list[AgendaItem]:
    """Items of an ended session not reached there and not carried anywhere yet (items of a
    former member, whose words are gone, stay behind)."""
    copy = aliased(AgendaItem)
    return list(db.scalars(select(AgendaItem).where(
        AgendaItem.session_id == session_id, AgendaItem.covered.is_(False),
        AgendaItem.author_id.is_not(None),
        ~select(copy.id).where(copy.carried_from_id == AgendaItem.id).exists())
        .order_by(AgendaItem.position, AgendaItem.id)))


def carry(db: Session, items: list[AgendaItem], target: CircleSession) -> list[AgendaItem]:
    """Copy ``items`` to the end of ``target``'s agenda, marked as carried over."""
    last = db.scalar(select(func.max(AgendaItem.position))
                     .where(AgendaItem.session_id == target.id)) or 0
    copies = [AgendaItem(session_id=target.id, author_id=item.author_id, title=item.title,
                         position=last + n, timebox_minutes=item.timebox_minutes,
                         source_question_id=item.source_question_id, carried_from_id=item.id)
              for n, item in enumerate(items, start=1)]
    db.add_all(copies)
    db.flush()
    return copies


def carry_over(db: Session, ended: CircleSession) -> list[AgendaItem]:
    """After ``ended``: its items not reached go to the circle's next scheduled session."""
    target = next_session(db, ended)
    if target is None:
        return []
    return carry(db, not_reached(db, ended.id), target)


def carry_into(db: Session, starting: CircleSession) -> list[AgendaItem]:
    """Before ``starting`` begins: items not reached in the circle's last ended session that
    were not carried yet (no session was planned when it ended)."""
    last = db.scalar(select(CircleSession.id).where(
        CircleSession.circle_id == starting.circle_id, CircleSession.id != starting.id,
        CircleSession.status == "ended", CircleSession.starts_at <= starting.starts_at)
        .order_by(CircleSession.starts_at.desc(), CircleSession.id.desc()).limit(1))
    if last is None:
        return []
    return carry(db, not_reached(db, last), starting)


def carried(db: Session, session_id: int) -> list[AgendaItem]:
    """The session's items carried over from an earlier one, in agenda order."""
    return list(db.scalars(select(AgendaItem).where(
        AgendaItem.session_id == session_id, AgendaItem.carried_from_id.is_not(None))
        .order_by(AgendaItem.position, AgendaItem.id)))
