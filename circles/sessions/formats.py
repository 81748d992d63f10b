"""A session's format, chosen when it is planned, and a clearness committee's focus person
and write-up: known ahead, so the focus person can send the circle a short write-up a week
before and the circle reads it on its page and in the room.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput
from circles.languages import number
from circles.models import Circle, CircleSession, User
from circles.models.sessions import FORMAT_NAMES, FORMATS, WRITEUP_MAX


def checked_format(errors: dict[str, str], value: str | None) -> str:
    """The chosen format ("circle" when none was chosen), or an error for the form."""
    chosen = value or "circle"
    if chosen not in FORMATS:
        errors["format"] = _("Choose a format: %(formats)s.",
                             formats=", ".join(str(name) for name in FORMAT_NAMES.values()))
    return chosen


def assign_focus_people(db: Session, circle: Circle, sessions: Sequence[CircleSession]) -> None:
    """Give each new clearness committee (in time order) its focus person: whoever has been
    one least recently (never first), then the lowest id."""
    members = sorted(seat.user_id for seat in circle.current_seats)
    earlier = list(db.scalars(
        select(CircleSession.focus_person_id)
        .where(CircleSession.circle_id == circle.id, CircleSession.format == "clearness",
               CircleSession.status != "cancelled",
               CircleSession.id.not_in([s.id for s in sessions]))
        .order_by(CircleSession.starts_at, CircleSession.id)))
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        if session.format != "clearness" or not members:
            continue
        last = {uid: n for n, uid in enumerate(earlier) if uid is not None}
        session.focus_person_id = min(members, key=lambda uid: (last.get(uid, -1), uid))
        earlier.append(session.focus_person_id)
    db.flush()


def save_writeup(db: Session, session: CircleSession, user: User, body: str) -> CircleSession:
    """The focus person of a planned clearness committee sends (or rewrites) their write-up."""
    if session.format != "clearness" or session.focus_person_id != user.id:
        raise Conflict(_("Only the focus person of a clearness committee sends a write-up."))
    if session.status != "scheduled":
        raise Conflict(_("The session has started; the write-up can no longer change."))
    text = body.strip()
    if not text:
        raise InvalidInput.field("writeup", _("Write a few lines about what you bring."))
    if len(text) > WRITEUP_MAX:
        raise InvalidInput.field("writeup", _("Keep the write-up to %(max)s characters (it has "
                                              "%(count)s).", max=number(WRITEUP_MAX),
                                              count=number(len(text))))
    session.writeup = text
    db.flush()
    return session
