"""What one member sees of a live session: the full snapshot, its parts, and the summary.

Everything here is built for *one* member: their private note, the feedback they received
(never anyone else's), what they gave only as "given to whom". Timestamps are ISO 8601 UTC;
``server_now`` lets a client with a wrong clock count down correctly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.live import airtime
from circles.live.formats import stage_clients
from circles.live.room import (
    feedback_open_until,
    holder,
    iso,
    member_ids,
    phases,
    session_for_member,
)
from circles.models import (
    AgendaItem,
    Attendance,
    CircleSession,
    Commitment,
    Contribution,
    Feedback,
    Note,
    Presence,
    RoleHandover,
    SessionPhase,
    SessionStage,
    User,
    as_utc,
    utcnow,
)
from circles.models.live import SHARED_NOTE
from circles.models.sessions import ROLES

View = dict[str, Any]


def snapshot(db: Session, user: User, session_id: object, *, away_grace: float = 30.0,
             now: datetime | None = None) -> View:
    """The whole state of a session as ``user`` may see it, with its version."""
    session = session_for_member(db, user.id, session_id, lock=False)
    now = now or utcnow()
    view: View = {
        "session": {"id": session.id, "circle_id": session.circle_id, "title": session.title,
                    "status": session.status, "starts_at": iso(session.starts_at),
                    "duration_minutes": session.duration_minutes,
                    "started_at": iso(session.started_at), "ended_at": iso(session.ended_at),
                    "format": session.format, "focus_person_id": session.focus_person_id,
                    "writeup": session.writeup},
        "version": session.version,
        "server_now": iso(now),
        "me": user.id,
        "roles": roles_view(db, session),
        "members": members_view(db, session, away_grace, now),
        "hands": hands_view(db, session.id),
        "phases": phase_views(db, session.id, now),
        "agenda": agenda_view(db, session.id),
        "contributions": contributions_view(db, session.id, user.id),
        "commitments": commitments_view(db, session),
        "feedback": feedback_view(db, session, user.id),
        "notes": notes_view(db, session.id, user.id),
        "summary": None,
        "airtime": airtime.view_for(db, session, user.id, now),
    }
    if session.status == "ended":
        view["summary"] = {**shared_summary(db, session),
                           "feedback": private_summary(db, session.id, user.id)}
    return view


def roles_view(db: Session, session: CircleSession) -> View:
    """Who holds each role, and an open takeover (whose role it was) if there is one."""
    open_handover = db.scalar(select(RoleHandover).where(
        RoleHandover.session_id == session.id, RoleHandover.returned_at.is_(None)))
    return {**{role: holder(session, role) for role in ROLES},
            "handover": None if open_handover is None else {
                "role": open_handover.role, "from": open_handover.from_user_id,
                "to": open_handover.to_user_id, "at": iso(open_handover.at)}}


def members_view(db: Session, session: CircleSession, away_grace: float,
                 now: datetime) -> list[View]:
    """Current members with presence, ready flag and raised hand.

    ``presence`` is "here" (at least one connection), "reconnecting" (none, for less than
    the grace period), "away" (none for longer), "absent" (never joined) or "left" (ended).
    """
    members = member_ids(db, session.circle_id)
    names = {uid: name for uid, name in db.execute(
        select(User.id, User.display_name).where(User.id.in_(members)))}
    counts = {uid: count for uid, count in db.execute(
        select(Presence.user_id, func.count(Presence.id))
        .where(Presence.session_id == session.id).group_by(Presence.user_id))}
    attendance = {a.user_id: a for a in db.scalars(
        select(Attendance).where(Attendance.session_id == session.id))}
    views = []
    for uid in members:
        seen = attendance.get(uid)
        views.append({"id": uid, "display_name": names[uid],
                      **presence_view(seen, counts.get(uid, 0), away_grace, now)})
    return views


def presence_view(seen: Attendance | None, connections: int, away_grace: float,
                  now: datetime) -> View:
    view: View = {"connections": connections, "ready": False, "hand_raised_at": None,
                  "last_seen": None, "away_at": None}
    if seen is None:
        return {**view, "presence": "absent"}
    away_at = as_utc(seen.last_seen) + timedelta(seconds=away_grace)
    if connections:
        state = "here"
    elif seen.left_at is not None:
        state = "left"
    else:
        state = "reconnecting" if now < away_at else "away"
    return {**view, "presence": state, "ready": seen.ready,
            "hand_raised_at": iso(seen.hand_raised_at), "last_seen": iso(seen.last_seen),
            "away_at": None if connections else iso(away_at)}


def hands_view(db: Session, session_id: int) -> list[int]:
    """The raise-hand queue, first raised first."""
    return list(db.scalars(select(Attendance.user_id).where(
        Attendance.session_id == session_id, Attendance.hand_raised_at.is_not(None))
        .order_by(Attendance.hand_raised_at, Attendance.id)))


class Hand(Protocol):
    """What the hand queue reads of an attendance."""

    id: int
    user_id: int
    hand_raised_at: datetime | None


def hands_queue(attendances: Iterable[Hand]) -> list[int]:
    """The raise-hand queue from the room's attendances in hand (or rows with their id,
    ``user_id`` and ``hand_raised_at``): ``hands_view``'s order (first raised first, then
    the earlier attendance) without a query."""
    raised = [(as_utc(a.hand_raised_at), a.id, a.user_id) for a in attendances
              if a.hand_raised_at is not None]
    return [user_id for _at, _id, user_id in sorted(raised)]


def timer_view(stage: SessionStage, now: datetime) -> View:
    if stage.ends_at is not None:
        ends = as_utc(stage.ends_at)
        remaining = max(0, int((ends - now).total_seconds() * 1000))
        state = "running"
    elif stage.paused_remaining_ms is not None:
        ends, remaining, state = None, stage.paused_remaining_ms, "paused"
    else:
        ends, remaining, state = None, None, "idle"
    return {"state": state, "ends_at": iso(ends), "remaining_ms": remaining,
            "started_by": stage.started_by_id, "server_now": iso(now)}


def phase_views(db: Session, session_id: int, now: datetime,
                every: list[SessionPhase] | None = None) -> list[View]:
    """Every phase of the session as the room shows it (``every``: the phases, if the
    caller read them already in this transaction)."""
    return [phase_view(phase, now) for phase in (phases(db, session_id) if every is None
                                                  else every)]


def phase_view(phase: SessionPhase, now: datetime) -> View:
    return {"id": phase.id, "kind": phase.kind, "position": phase.position,
            "status": phase.status, "prompt": phase.prompt, "trios": phase.trios,
            "stages": [{"id": s.id, "position": s.position, "status": s.status,
                        "focus_user_id": s.focus_user_id, "agenda_item_id": s.agenda_item_id,
                        "round": s.round, "step": s.step, "seconds": s.seconds,
                        "clients": stage_clients(phase, s), "recorder_id": s.recorder_id,
                        "timer": timer_view(s, now)} for s in phase.stages]}


def agenda_item_view(item: AgendaItem) -> View:
    return {"id": item.id, "author_id": item.author_id, "title": item.title,
            "position": item.position, "timebox_minutes": item.timebox_minutes,
            "source_question_id": item.source_question_id, "covered": item.covered,
            "carried_over": item.carried_from_id is not None}


def agenda_view(db: Session, session_id: int) -> list[View]:
    return [agenda_item_view(item) for item in db.scalars(
        select(AgendaItem).where(AgendaItem.session_id == session_id)
        .order_by(AgendaItem.position, AgendaItem.id))]


def contribution_view(item: Contribution) -> View:
    return {"id": item.id, "stage_id": item.stage_id, "author_id": item.author_id,
            "kind": item.kind, "text": item.text, "helped": item.helped, "trio": item.trio,
            "created_at": iso(item.created_at)}


def contributions_view(db: Session, session_id: int, viewer: int | None = None) -> list[View]:
    """The room's contributions, without those the facilitator stopped; one said in a
    Troika trio only for a ``viewer`` in that trio."""
    return [contribution_view(item) for item, trios in db.execute(
        select(Contribution, SessionPhase.trios).select_from(Contribution)
        .join(SessionStage).join(SessionPhase)
        .where(SessionPhase.session_id == session_id, Contribution.stopped_at.is_(None))
        .order_by(Contribution.id))
        if item.trio is None or (trios is not None and viewer in trios[item.trio])]


def commitment_view(item: Commitment) -> View:
    return {"id": item.id, "user_id": item.user_id, "session_id": item.session_id,
            "text": item.text, "due_on": None if item.due_on is None else item.due_on.isoformat(),
            "status": item.status, "reflection": item.reflection,
            "reviewed_in_id": item.reviewed_in_id}


def commitments_view(db: Session, session: CircleSession) -> View:
    """Commitments made in this session, and earlier ones open (or reviewed here) to review."""
    made = db.scalars(select(Commitment).where(Commitment.session_id == session.id)
                      .order_by(Commitment.id))
    members = member_ids(db, session.circle_id)
    to_review = db.scalars(select(Commitment).where(
        Commitment.circle_id == session.circle_id, Commitment.session_id != session.id,
        Commitment.user_id.in_(members),
        (Commitment.status == "open") | (Commitment.reviewed_in_id == session.id))
        .order_by(Commitment.user_id, Commitment.id))
    return {"made": [commitment_view(c) for c in made],
            "to_review": [commitment_view(c) for c in to_review]}


def feedback_view(db: Session, session: CircleSession, user_id: int) -> View:
    """Feedback ``user_id`` received (in full), to whom they gave some, the matrix of who has
    given to whom (no content) so the room can see the round's progress, and until when an
    ended session still takes feedback. Feedback goes between members who were present:
    those whose ``presence`` is not "absent"."""
    rows = list(db.scalars(select(Feedback).where(Feedback.session_id == session.id)
                           .order_by(Feedback.id)))
    return {"received": [received_view(f) for f in rows if f.receiver_id == user_id],
            "given_to": [f.receiver_id for f in rows if f.giver_id == user_id],
            "pairs": [[f.giver_id, f.receiver_id] for f in rows],
            "open_until": iso(feedback_open_until(session))}


def received_view(item: Feedback) -> View:
    return {"giver_id": item.giver_id, "strength": item.strength,
            "suggestion": item.suggestion}


def note_view(note: Note | None) -> View | None:
    if note is None:
        return None
    return {"id": note.id, "private": note.private, "body": note.body, "version": note.version,
            "author_id": note.author_id, "updated_at": iso(note.updated_at)}


def notes_view(db: Session, session_id: int, user_id: int) -> View:
    notes = {n.slot: n for n in db.scalars(select(Note).where(
        Note.session_id == session_id, Note.slot.in_([SHARED_NOTE, user_id])))}
    return {"shared": note_view(notes.get(SHARED_NOTE)), "private": note_view(notes.get(user_id))}


def shared_summary(db: Session, session: CircleSession) -> View:
    """The summary every member of the circle sees: agenda covered, contributions and
    commitments (feedback is not in it; see ``private_summary``)."""
    return {"agenda": agenda_view(db, session.id),
            "contributions": contributions_view(db, session.id),
            "commitments": commitments_view(db, session)["made"],
            "attendees": sorted(db.scalars(select(Attendance.user_id)
                                           .where(Attendance.session_id == session.id)))}


def private_view(db: Session, session: CircleSession, user_id: int) -> View:
    """One member's private parts of the room now: the feedback they received, their
    private note and, once the session has ended, their summary's feedback."""
    received = private_summary(db, session.id, user_id)
    note = db.scalar(select(Note).where(Note.session_id == session.id, Note.slot == user_id))
    view: View = {"feedback_received": received, "note": note_view(note),
                  "summary_feedback": received if session.status == "ended" else None}
    if airtime.under_way(db, session):  # a focus or round stage has begun
        view["airtime"] = airtime.view_for(db, session, user_id, utcnow())
        view["trio_contributions"] = [c for c in contributions_view(db, session.id, user_id)
                                      if c["trio"] is not None]
    return view


def private_summary(db: Session, session_id: int, user_id: int) -> list[View]:
    """The feedback one member received in the session: theirs alone."""
    return [received_view(f) for f in db.scalars(select(Feedback).where(
        Feedback.session_id == session_id, Feedback.receiver_id == user_id)
        .order_by(Feedback.id))]
