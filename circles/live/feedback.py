"""Mutual feedback and commitments: honest, kind, two-way; words matched with deeds.

Feedback goes from one member to another who were both **present** in the session (each has
an attendance: they joined the room at least once, even if they left before the end) and is
read by its receiver alone: the room learns only *that* it was given. It is given in the
feedback phase and, for ``LATE_FEEDBACK_DAYS`` after the session ended, from the ended
session's page — so a member who left early can still give theirs, and still receive some.
Commitments are made in the commitments phase and reviewed by their owner in a later
session's review phase.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.live.room import (
    LATE_FEEDBACK_DAYS,
    Change,
    bump,
    choice,
    feedback_open_until,
    ident,
    require_phase,
    session_for_member,
    text,
)
from circles.live.snapshot import commitment_view, received_view
from circles.models import (
    Attendance,
    CircleMember,
    CircleSession,
    Commitment,
    Feedback,
    Interaction,
    User,
    utcnow,
)
from circles.notify.notifications import notify

FEEDBACK_MAX = 1000
COMMITMENT_MAX = 500
REVIEW_STATUSES = ("kept", "partly", "missed", "dropped")


def _feedback_time(db: Session, session: CircleSession, now: datetime) -> bool:
    """Whether feedback may be given now; True when it comes after the session's end."""
    until = feedback_open_until(session)
    if until is None:
        require_phase(db, session, "feedback")
        return False
    if now > until:
        raise Conflict(_("Feedback for this session closed %(days)s days after it ended.",
                         days=LATE_FEEDBACK_DAYS))
    return True


def give_feedback(db: Session, user: User, session_id: object, receiver_id: object,
                  strength: object, suggestion: object, *, now: datetime | None = None) -> Change:
    """Give (or rewrite) feedback to another member who was present: a strength noticed and
    one suggestion. During the feedback phase, or up to a week after the session ended."""
    session = session_for_member(db, user.id, session_id)
    now = now or utcnow()
    late = _feedback_time(db, session, now)
    receiver = ident("receiver_id", receiver_id, "member")
    if receiver == user.id:
        raise InvalidInput.field("receiver_id", _("Give feedback to another member."))
    member, giver_came, receiver_came, given_id = _standing(db, session, user.id, receiver)
    if not member:
        raise NotFound("member")
    if not giver_came:
        raise Conflict(_("Only members who were in this session give feedback on it."))
    if not receiver_came:
        raise InvalidInput.field("receiver_id", _("That member was not in this session, so "
                                                  "there is nothing to give feedback on."))
    noticed = text("strength", strength, max_len=FEEDBACK_MAX, what=_l("the strength you noticed"))
    suggested = text("suggestion", suggestion, max_len=FEEDBACK_MAX, what=_l("the suggestion"))
    given = None if given_id is None else db.get(Feedback, given_id)
    if given is None:
        given = Feedback(session_id=session.id, giver_id=user.id, receiver_id=receiver,
                         strength=noticed, suggestion=suggested)
        db.add(given)
        if late:
            _after_the_end(db, session, user.id, receiver, now)
    else:
        given.strength, given.suggestion = noticed, suggested
    db.flush()
    return Change(session.id, bump(session),
                  {"type": "feedback", "giver_id": user.id, "receiver_id": receiver},
                  private=[(receiver, {"type": "feedback_received",
                                       "feedback": received_view(given)})])


def _standing(db: Session, session: CircleSession, giver: int, receiver: int
              ) -> tuple[bool, bool, bool, int | None]:
    """In one query (a feedback phase sends many): whether ``receiver`` sits in the circle
    now, whether giver and receiver were present, and the id of the feedback the giver
    gave the receiver already, if any."""
    def came(user_id: int) -> Exists:
        return exists().where(Attendance.session_id == session.id,
                              Attendance.user_id == user_id)

    member, giver_came, receiver_came, given_id = db.execute(select(
        exists().where(CircleMember.circle_id == session.circle_id,
                       CircleMember.user_id == receiver, CircleMember.left_at.is_(None)),
        came(giver), came(receiver),
        select(Feedback.id).where(Feedback.session_id == session.id, Feedback.giver_id == giver,
                                  Feedback.receiver_id == receiver).scalar_subquery())).one()
    return bool(member), bool(giver_came), bool(receiver_came), given_id


def _after_the_end(db: Session, session: CircleSession, giver: int, receiver: int,
                   now: datetime) -> None:
    """What the end did for feedback given in the room, for feedback given after it: the
    receiver is told (once per giver) and the exchange counts in the network."""
    low, high = sorted((giver, receiver))
    db.add(Interaction(low_id=low, high_id=high, kind="feedback", session_id=session.id,
                       at=now))
    notify(db, receiver, "feedback", _l("You received feedback in %(name)s.", name=session.circle.name),
           f"/sessions/{session.id}/live", key=f"feedback:{session.id}:{giver}")


def _due_on(value: object, today: date) -> date:
    if not isinstance(value, str):
        raise InvalidInput.field("due_on", _("Choose the date you will have done it by."))
    try:
        due = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput.field("due_on", _("Choose the date you will have done it by.")) from None
    if due < today - timedelta(days=1):  # a day's slack for members ahead of UTC
        raise InvalidInput.field("due_on", _("Choose a date that is not in the past."))
    if due > today + timedelta(days=366):
        raise InvalidInput.field("due_on", _("Choose a date within a year."))
    return due


def commit(db: Session, user: User, session_id: object, body: object, due_on: object, *,
           now: datetime | None = None) -> Change:
    """State what one will do and by when; it comes up in the next session's review."""
    session = session_for_member(db, user.id, session_id)
    require_phase(db, session, "commitments")
    item = Commitment(circle_id=session.circle_id, session_id=session.id, user_id=user.id,
                      text=text("text", body, max_len=COMMITMENT_MAX, what=_l("your commitment")),
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
        raise Conflict(_("Only its owner can withdraw a commitment."))
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
        raise Conflict(_("Only its owner reviews a commitment."))
    if item.status != "open" and item.reviewed_in_id != session.id:
        raise Conflict(_("That commitment was reviewed in an earlier session."))
    item.status = choice("status", status, REVIEW_STATUSES, _l("how it went"))
    item.reflection = text("reflection", reflection, max_len=FEEDBACK_MAX, required=False,
                           what=_l("your reflection"))
    item.reviewed_in_id = session.id
    return Change(session.id, bump(session),
                  {"type": "commitment", "commitment": commitment_view(item)})
