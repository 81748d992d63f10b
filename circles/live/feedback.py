"""Mutual feedback and commitments: honest, kind, two-way; words matched with deeds.

Feedback goes from one current member to another during the feedback phase and is read by
its receiver alone: the room learns only *that* it was given. Commitments are made in the
commitments phase and reviewed by their owner in a later session's review phase.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.live.room import (
    Change,
    bump,
    choice,
    ident,
    is_member,
    require_phase,
    session_for_member,
    text,
)
from circles.live.snapshot import commitment_view, received_view
from circles.models import Commitment, Feedback, User, utcnow

FEEDBACK_MAX = 1000
COMMITMENT_MAX = 500
REVIEW_STATUSES = ("kept", "partly", "missed", "dropped")


def give_feedback(db: Session, user: User, session_id: object, receiver_id: object,
                  strength: object, suggestion: object) -> Change:
    """Give (or rewrite) feedback to another member: a strength noticed and one suggestion."""
    session = session_for_member(db, user.id, session_id)
    require_phase(db, session, "feedback")
    receiver = ident("receiver_id", receiver_id, "member")
    if receiver == user.id:
        raise InvalidInput.field("receiver_id", "Give feedback to another member.")
    if not is_member(db, receiver, session.circle_id):
        raise NotFound("member")
    noticed = text("strength", strength, max_len=FEEDBACK_MAX)
    suggested = text("suggestion", suggestion, max_len=FEEDBACK_MAX)
    given = db.scalar(select(Feedback).where(Feedback.session_id == session.id,
                                             Feedback.giver_id == user.id,
                                             Feedback.receiver_id == receiver))
    if given is None:
        given = Feedback(session_id=session.id, giver_id=user.id, receiver_id=receiver,
                         strength=noticed, suggestion=suggested)
        db.add(given)
    else:
        given.strength, given.suggestion = noticed, suggested
    db.flush()
    return Change(session.id, bump(session),
                  {"type": "feedback", "giver_id": user.id, "receiver_id": receiver},
                  private=[(receiver, {"type": "feedback_received",
                                       "feedback": received_view(given)})])


def _due_on(value: object, today: date) -> date:
    if not isinstance(value, str):
        raise InvalidInput.field("due_on", "Give a date as YYYY-MM-DD.")
    try:
        due = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput.field("due_on", "Give a date as YYYY-MM-DD.") from None
    if due < today - timedelta(days=1):  # a day's slack for members ahead of UTC
        raise InvalidInput.field("due_on", "Choose a date that is not in the past.")
    if due > today + timedelta(days=366):
        raise InvalidInput.field("due_on", "Choose a date within a year.")
    return due


def commit(db: Session, user: User, session_id: object, body: object, due_on: object, *,
           now: datetime | None = None) -> Change:
    """State what one will do and by when; it comes up in the next session's review."""
    session = session_for_member(db, user.id, session_id)
    require_phase(db, session, "commitments")
    item = Commitment(circle_id=session.circle_id, session_id=session.id, user_id=user.id,
                      text=text("text", body, max_len=COMMITMENT_MAX),
                      due_on=_due_on(due_on, (now or utcnow()).date()))
    db.add(item)
    db.flush()
    return Change(session.id, bump(session),
                  {"type": "commitment", "commitment": commitment_view(item)},
                  result={"commitment_id": item.id})


def withdraw(db: Session, user: User, session_id: object, commitment_id: object) -> Change:
    """Take back a commitment one made in this session, while the phase lasts."""
    session = session_for_member(db, user.id, session_id)
    require_phase(db, session, "commitments")
    item = db.get(Commitment, ident("commitment_id", commitment_id))
    if item is None or item.session_id != session.id:
        raise NotFound("commitment")
    if item.user_id != user.id:
        raise Conflict("Only its owner can withdraw a commitment.")
    db.delete(item)
    return Change(session.id, bump(session),
                  {"type": "commitment_withdrawn", "commitment_id": item.id})


def review(db: Session, user: User, session_id: object, commitment_id: object, status: object,
           reflection: object = "") -> Change:
    """Say how an earlier commitment went (kept, partly, missed, dropped), with a line of
    reflection; only its owner reviews it."""
    session = session_for_member(db, user.id, session_id)
    require_phase(db, session, "review")
    item = db.get(Commitment, ident("commitment_id", commitment_id))
    if item is None or item.circle_id != session.circle_id or item.session_id == session.id:
        raise NotFound("commitment")
    if item.user_id != user.id:
        raise Conflict("Only its owner reviews a commitment.")
    if item.status != "open" and item.reviewed_in_id != session.id:
        raise Conflict("That commitment was reviewed in an earlier session.")
    item.status = choice("status", status, REVIEW_STATUSES)
    item.reflection = text("reflection", reflection, max_len=FEEDBACK_MAX, required=False)
    item.reviewed_in_id = session.id
    return Change(session.id, bump(session),
                  {"type": "commitment", "commitment": commitment_view(item)})
