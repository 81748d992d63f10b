"""Reminders: commitments coming due or overdue, sessions starting within a day, a goal
check-in after each session (so progress check-ins follow the circle's own cadence), and
"did your circle meet?" after a session not run in the live room (``meetings.ask_members``).

Each reminder has a key, so running ``send_due_reminders`` every few minutes (the
background thread of ``flask serve``, or ``flask notify reminders`` from cron) tells a
member once per commitment stage and once per session time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from circles.languages import current_language
from circles.members.local_time import local_time
from circles.models import (
    Circle,
    CircleGoal,
    CircleMember,
    CircleSession,
    Commitment,
    SuccessCriterion,
    as_utc,
)
from circles.notify.notifications import notify
from circles.sessions.meetings import ask_members
from circles.sessions.places import place_phrase, place_text

DUE_SOON = timedelta(days=2)
SESSION_AHEAD = timedelta(hours=24)
CHECKIN_AFTER = timedelta(days=3)  # how long after a session its check-in prompt still goes out


def send_due_reminders(db: Session, now: datetime) -> int:
    """Notify members of due commitments and upcoming sessions; returns how many were new."""
    return (_commitments(db, now) + _sessions(db, now) + _goal_checkins(db, now)
            + ask_members(db, now))


def _commitments(db: Session, now: datetime) -> int:
    today = now.date()
    rows = db.execute(
        select(Commitment, Circle.name)
        .join(Circle, Circle.id == Commitment.circle_id)
        .join(CircleMember, (CircleMember.circle_id == Commitment.circle_id)
              & (CircleMember.user_id == Commitment.user_id) & CircleMember.left_at.is_(None))
        .where(Commitment.status == "open", Commitment.due_on.is_not(None),
               Commitment.due_on <= today + DUE_SOON, Circle.closed_at.is_(None))
        .order_by(Commitment.id)
    ).all()
    sent = 0
    for commitment, circle_name in rows:
        due = commitment.due_on
        assert due is not None
        stage = "overdue" if due < today else "soon"
        text = LazyString(_due, circle_name, due, commitment.text, stage == "overdue")
        key = f"commitment_due:{commitment.id}:{due.isoformat()}:{stage}"
        if notify(db, commitment.user_id, "commitment_due", text, "/commitments", key=key):
            sent += 1
    return sent


def _due(circle: str, due: date, text: str, overdue: bool) -> str:
    """A commitment coming due, in the language ``notify`` renders it in."""
    values = {"circle": circle, "text": text,
              "day": local_time(due, "day", zone=None, language=current_language())}
    if overdue:
        return str(_("Your commitment in %(circle)s was due on %(day)s: %(text)s", **values))
    return str(_("Your commitment in %(circle)s is due on %(day)s: %(text)s", **values))


def _starts(session: CircleSession, zone: str) -> str:
    """A session starting soon, in the language ``notify`` renders it in."""
    when = local_time(as_utc(session.starts_at), "session", zone=zone,
                      language=current_language())
    return str(_("%(circle)s: %(title)s starts %(when)s%(place)s", circle=session.circle.name,
             title=session.title or _("session"), when=when, place=place_phrase(session)))


def _sessions(db: Session, now: datetime) -> int:
    sessions = db.scalars(
        select(CircleSession)
        .join(Circle, Circle.id == CircleSession.circle_id)
        .options(joinedload(CircleSession.circle).selectinload(Circle.seats)
                 .joinedload(CircleMember.user))
        .where(CircleSession.status == "scheduled", CircleSession.starts_at > now,
               CircleSession.starts_at <= now + SESSION_AHEAD, Circle.closed_at.is_(None))
        .order_by(CircleSession.starts_at)
    ).unique().all()
    sent = 0
    for session in sessions:
        starts = as_utc(session.starts_at)
        key = f"upcoming_session:{session.id}:{starts.isoformat()}"
        for seat in session.circle.current_seats:
            if notify(db, seat.user_id, "upcoming_session",
                      LazyString(_starts, session, seat.user.timezone),
                      f"/circles/{session.circle_id}", key=key,
                      details=LazyString(place_text, session)):
                sent += 1
    return sent


def _goal_checkins(db: Session, now: datetime) -> int:
    """After each session that ended in the last few days, ask every current member who has a
    goal (a success criterion still running, or an open goal of that circle) to check in."""
    sessions = db.scalars(
        select(CircleSession)
        .join(Circle, Circle.id == CircleSession.circle_id)
        .options(joinedload(CircleSession.circle).selectinload(Circle.seats))
        .where(CircleSession.status == "ended", CircleSession.ended_at.is_not(None),
               CircleSession.ended_at >= now - CHECKIN_AFTER, Circle.closed_at.is_(None))
        .order_by(CircleSession.ended_at)
    ).unique().all()
    sent = 0
    for session in sessions:
        members = [seat.user_id for seat in session.circle.current_seats]
        circle_goal = db.scalar(select(CircleGoal.id).where(
            CircleGoal.circle_id == session.circle_id, CircleGoal.closed_at.is_(None)).limit(1))
        running = set(db.scalars(select(SuccessCriterion.user_id).where(
            SuccessCriterion.user_id.in_(members), SuccessCriterion.target_date >= now.date())))
        for user_id in members:
            if circle_goal is None and user_id not in running:
                continue
            text = _l("After today's session of %(name)s: how are your goals going? A rating "
                      "and a line is enough.", name=session.circle.name)
            if notify(db, user_id, "goal_checkin", text, "/goals",
                      key=f"goal_checkin:{session.id}"):
                sent += 1
    return sent
