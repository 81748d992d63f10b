"""Did we meet? Attendance of sessions that were not run in the live room.

Once a planned session's time has passed and it was not run in the live room, each member of
its circle is asked "Did your circle meet?" (a notification, a card on the dashboard and the
circle page). The first answer settles it: "we met" with the ticked members ends the session
(``ended``, attendance confirmed by whoever answered) and "we did not meet" marks it
``missed``. After a "we met", a member who was not ticked may add themselves. Every answer
locks the session row first, so two members answering at once are taken one after the other,
and answering the same thing twice changes nothing.

A confirmed meeting counts like one in the live room: its attendees met (an ``Interaction``
per pair, which the network reads), its members are asked for a pulse and a goal check-in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import combinations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import current_language
from circles.members.local_time import local_time
from circles.models import (
    Attendance,
    Circle,
    CircleMember,
    CircleSession,
    Interaction,
    User,
    as_utc,
    utcnow,
)
from circles.notify.notifications import notify
from circles.sessions.places import place_text
from circles.sessions.scheduling import ends_at

ASK_WITHIN = timedelta(days=14)  # how long after a session its members are still asked
NOBODY = _l("Tick who was there, or choose “We did not meet”.")
NOT_YET = _l("You can say whether your circle met once the session's time has passed.")


def awaiting(session: CircleSession, now: datetime) -> bool:
    """Over by the clock, and neither run in the live room nor answered nor called off."""
    return session.status == "scheduled" and ends_at(session) <= now


def confirmed(session: CircleSession) -> bool:
    """The circle met, as a member said afterwards (not run in the live room)."""
    return session.status == "ended" and session.reported_by_id is not None


def state(session: CircleSession, now: datetime) -> str:
    """Where the question stands: ``asked``, ``not_yet`` (still ahead or running by the
    clock), ``confirmed``, ``missed``, ``live_room`` (run there), ``live`` or ``cancelled``."""
    if awaiting(session, now):
        return "asked"
    if session.status == "scheduled":
        return "not_yet"
    if session.status == "ended":
        return "confirmed" if confirmed(session) else "live_room"
    return session.status


def _locked(db: Session, user: User, session_id: int) -> CircleSession:
    """The session, its row locked, for a member of its circle now; else not found."""
    session = db.scalar(select(CircleSession).where(CircleSession.id == session_id)
                        .with_for_update().execution_options(populate_existing=True))
    if session is None or not any(s.user_id == user.id for s in session.circle.current_seats):
        raise NotFound("session")
    return session


def attendee_ids(db: Session, session: CircleSession) -> list[int]:
    return list(db.scalars(select(Attendance.user_id).where(Attendance.session_id == session.id)
                           .order_by(Attendance.user_id)))


def _attend(db: Session, session: CircleSession, user_ids: list[int], by: User) -> list[int]:
    """Record ``user_ids`` as there, confirmed by ``by``; each new pair met. Returns who is new."""
    there = set(attendee_ids(db, session))
    start, end = as_utc(session.starts_at), ends_at(session)
    new = [uid for uid in sorted(set(user_ids)) if uid not in there]
    for uid in new:
        db.add(Attendance(session_id=session.id, user_id=uid, joined_at=start, last_seen=end,
                          left_at=end, confirmed_by_id=by.id))
    for a, b in combinations(sorted(there | set(new)), 2):
        if a in new or b in new:
            db.add(Interaction(low_id=a, high_id=b, kind="session", session_id=session.id,
                               at=end))
    db.flush()
    return new


def report(db: Session, user: User, session_id: int, *, met: bool, attended: list[int],
           now: datetime | None = None) -> str:
    """Answer "did your circle meet?" for a session; returns what happened: ``recorded`` (the
    first answer), ``added`` (the member added themselves to a confirmed meeting) or
    ``already`` (nothing to change)."""
    now = now or utcnow()
    session = _locked(db, user, session_id)
    members = {seat.user_id for seat in session.circle.current_seats}
    if session.status == "cancelled":
        raise Conflict(_("This session was called off."))
    if session.status == "live" or (session.status == "ended" and not confirmed(session)):
        raise Conflict(_("This session was held in the live room, which knows who came."))
    if session.status == "scheduled" and not awaiting(session, now):
        raise Conflict(str(NOT_YET))
    if session.status == "missed":
        if met:
            raise Conflict(_("%(name)s already said your circle did not meet then.",
                             name=session.reported_by.display_name) if session.reported_by
                           else _("A member already said your circle did not meet then."))
        return "already"
    if not met:
        if session.status == "ended":
            raise Conflict(_("Your circle already said it met then."))
        session.status, session.reported_by_id, session.reported_at = "missed", user.id, now
        db.flush()
        return "recorded"
    chosen = set(attended)
    if chosen - members:
        raise InvalidInput.field("attended", _("Choose people of this circle."))
    if not chosen:
        raise InvalidInput.field("attended", str(NOBODY))
    if session.status == "ended":  # someone answered first: add yourself, nobody else
        return "added" if user.id in chosen and _attend(db, session, [user.id], user) else "already"
    session.status, session.ended_at = "ended", ends_at(session)
    session.reported_by_id, session.reported_at = user.id, now
    _attend(db, session, sorted(chosen), user)
    return "recorded"


def questions(db: Session, user: User, now: datetime | None = None,
              circle: Circle | None = None) -> list[CircleSession]:
    """Sessions the member is asked about now (of one circle, or all theirs), latest first:
    over in the last ``ASK_WITHIN``, not run in the live room, not answered."""
    now = now or utcnow()
    query = (select(CircleSession, CircleMember.joined_at)
             .join(CircleMember, (CircleMember.circle_id == CircleSession.circle_id)
                   & (CircleMember.user_id == user.id) & CircleMember.left_at.is_(None))
             .where(CircleSession.status == "scheduled",
                    CircleSession.starts_at >= now - ASK_WITHIN - timedelta(days=1),
                    CircleSession.starts_at <= now)
             .order_by(CircleSession.starts_at.desc(), CircleSession.id.desc()))
    if circle is not None:
        query = query.where(CircleSession.circle_id == circle.id)
    return [s for s, joined in db.execute(query)
            if awaiting(s, now) and ends_at(s) >= now - ASK_WITHIN and as_utc(joined) <= ends_at(s)]


def _asked(session: CircleSession, user: User) -> str:
    """Did the circle meet? In the language ``notify`` renders it in."""
    day = local_time(as_utc(session.starts_at), "day", zone=user.timezone,
                     language=current_language())
    return str(_("Did %(name)s meet for %(title)s on %(day)s? Say who was there, or that you did "
             "not meet.", name=session.circle.name, title=session.title or _("its session"),
             day=day))


def ask_members(db: Session, now: datetime) -> int:
    """Ask each current member of a circle once per session, after its time, whether the
    circle met (for the reminder loop); returns how many were asked."""
    sessions = db.scalars(
        select(CircleSession).join(Circle, Circle.id == CircleSession.circle_id)
        .where(CircleSession.status == "scheduled",
               CircleSession.starts_at >= now - ASK_WITHIN - timedelta(days=1),
               CircleSession.starts_at <= now)
        .order_by(CircleSession.starts_at, CircleSession.id))
    asked = 0
    for session in sessions:
        end = ends_at(session)
        closed = session.circle.closed_at
        if not awaiting(session, now) or end < now - ASK_WITHIN or (
                closed is not None and as_utc(closed) < end):
            continue
        for seat in session.circle.current_seats:
            if as_utc(seat.joined_at) > end:
                continue
            if notify(db, seat.user_id, "meeting_check", LazyString(_asked, session, seat.user),
                      f"/sessions/{session.id}/meeting", key=f"meeting_check:{session.id}",
                      details=LazyString(place_text, session)) is not None:
                asked += 1
    return asked
