"""A member's own data, as one machine-readable JSON document (``GET /account/export``).

Everything a member wrote or that is about them, and nothing that is someone else's
confidence: feedback between two other members, another member's private note or pulse
comment never appear. Every table with a column pointing at ``user.id`` is named below,
either in ``EXPORTED`` (with the section that carries it) or in ``NOT_EXPORTED`` (with the
reason), and tests/members/test_export.py fails when a new table is in neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from circles.models import (
    AgendaItem,
    Attendance,
    Block,
    Circle,
    CircleGoal,
    CircleMember,
    CircleSession,
    ClosingReflection,
    Commitment,
    Community,
    ConcernReport,
    Contribution,
    Departure,
    ExternalContact,
    Feedback,
    GoalCheckin,
    HarvestItem,
    Interaction,
    Introduction,
    Invitation,
    LoginSession,
    Membership,
    Note,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Pulse,
    RegroupConsent,
    RenewalChoice,
    SessionPhase,
    SessionRole,
    SessionStage,
    Tie,
    User,
    utcnow,
)
from circles.models.api import ApiToken

FORMAT = "circles-export/1"

#: Table → the export section its rows about the member are in.
EXPORTED: dict[str, str] = {
    "user": "member",
    "invitation": "invitations (received; ones sent as facilitator belong to the community)",
    "strength": "profile.strengths",
    "question": "profile.questions",
    "learning_goal": "profile.learning_goals",
    "boundary": "profile.boundaries",
    "success_criterion": "profile.success_criteria",
    "availability": "profile.availability",
    "membership": "communities",
    "circle": "circles (created_by_me)",
    "circle_member": "circles",
    "closing_reflection": "closing_reflections",
    "regroup_consent": "regroup_consents",
    "circle_session": "sessions",
    "attendance": "sessions",
    "session_role": "sessions (roles)",
    "session_stage": "sessions (turns in focus)",
    "contribution": "contributions",
    "agenda_item": "agenda_items",
    "commitment": "commitments",
    "feedback": "feedback_received, feedback_given",
    "note": "notes (private bodies; shared notes only as the fact of editing)",
    "circle_goal": "circle_goals_set",
    "goal_checkin": "goal_checkins",
    "pulse": "pulses",
    "external_contact": "external_contacts",
    "introduction": "introductions",
    "notification": "notifications",
    "notification_preference": "notification_preferences",
    "tie": "ties",
    "interaction": "interactions",
    "login_session": "login_sessions",
    "api_token": "api_tokens",
    "harvest_item": "harvest (one's own; what one offered others is in contributions)",
    "block": "blocks (the ones they made; a block by someone else is not theirs to see)",
    "concern_report": "concerns_reported (the ones they made; reports about them are the "
                      "safety contacts' record, and would name who reported)",
    "renewal_choice": "renewal_choices",
}

#: Table → why its rows are not in the export.
NOT_EXPORTED: dict[str, str] = {
    "presence": "open connections of a live room, gone when the socket closes",
    "live_event": "a cache of what the room was told, rebuilt from the tables exported here",
    "role_handover": "which role passed between members during a live session: room state",
    "session_series": "the cadence of a circle's sessions; the sessions are exported",
    "session_plan": "the random key of a planning form, kept so it plans once; the sessions "
                    "are exported",
    "formation_run": "a facilitator's planning record (member ids and figures); the circles "
                     "it produced are exported",
    "separation": "a facilitator's confidential planning constraint about two members; its "
                  "reason may concern the other member",
}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: object, *fields: str, **extra: Any) -> dict[str, Any]:
    return {**{name: _value(getattr(obj, name)) for name in fields},
            **{k: _value(v) for k, v in extra.items()}}


def _names(db: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def _person(names: dict[int, str], user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    return {"id": user_id, "name": names.get(user_id, "a former member")}


def export(db: Session, user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """The whole export of ``user``'s data, ready for ``json.dumps``."""
    return {
        "format": FORMAT,
        "exported_at": _value(now or utcnow()),
        "member": _member(user),
        "profile": _profile(user),
        "communities": _communities(db, user),
        "circles": _circles(db, user),
        "closing_reflections": [_row(r, "circle_id", "learned", "appreciated", "created_at")
                                for r in _mine(db, ClosingReflection, ClosingReflection.user_id,
                                               user)],
        "regroup_consents": [_row(r, "circle_id", "other_id", "created_at")
                             for r in _mine(db, RegroupConsent, RegroupConsent.user_id, user)],
        "sessions": _sessions(db, user),
        **_live_contributions(db, user),
        **_feedback(db, user),
        "notes": _notes(db, user),
        **_goals(db, user),
        "pulses": [_row(p, "id", "circle_id", "session_id", "score", "comment", "created_at")
                   for p in _mine(db, Pulse, Pulse.user_id, user)],
        "external_contacts": [
            _row(c, "id", "name", "context", "context_name", "support", "note", "created_at")
            for c in _mine(db, ExternalContact, ExternalContact.owner_id, user)],
        "introductions": _introductions(db, user),
        **_network(db, user),
        **_notifications(db, user),
        "login_sessions": [_row(s, "created_at", "last_seen_at", "revoked_at", "user_agent",
                                "ip_address")
                           for s in _mine(db, LoginSession, LoginSession.user_id, user)],
        "invitations": [_row(i, "community_id", "created_at", "answered_at", "accepted")
                        for i in _mine(db, Invitation, Invitation.user_id, user)],
        # Names and dates only: a token's hash is no use to anyone and stays out of files.
        "api_tokens": [_row(t, "name", "created_at", "last_used_at", "expires_at", "revoked_at")
                       for t in _mine(db, ApiToken, ApiToken.user_id, user)],
        **_harvest_and_safety(db, user),
    }


def _harvest_and_safety(db: Session, user: User) -> dict[str, Any]:
    """One's own harvest, the blocks one made, concerns one reported, renewal choices."""
    harvest = _mine(db, HarvestItem, HarvestItem.user_id, user)
    blocks = _mine(db, Block, Block.blocker_id, user)
    names = _names(db, [h.author_id for h in harvest] + [b.blocked_id for b in blocks])
    return {
        "harvest": [_row(h, "session_id", "round_title", "kind", "text", "helped", "created_at",
                         offered_by=_person(names, h.author_id)) for h in harvest],
        "blocks": [_row(b, "created_at", blocked=_person(names, b.blocked_id)) for b in blocks],
        "concerns_reported": [_row(r, "community_id", "subject_id", "text", "created_at")
                              for r in _mine(db, ConcernReport, ConcernReport.reporter_id, user)],
        "renewal_choices": [_row(c, "circle_id", "cycle_no", "choice", "created_at")
                            for c in _mine(db, RenewalChoice, RenewalChoice.user_id, user)],
    }


def _mine(db: Session, model: Any, column: Any, user: User) -> list[Any]:
    return list(db.scalars(select(model).where(column == user.id).order_by(model.id)))


def _member(user: User) -> dict[str, Any]:
    return _row(user, "id", "email", "display_name", "timezone", "organisation", "department",
                "bio", "background_consent", "background", "is_active", "is_site_admin",
                "created_at", "email_verified_at", has_password=user.has_password,
                two_factor=user.totp_secret is not None,
                has_calendar_feed=user.calendar_nonce is not None)


def _profile(user: User) -> dict[str, Any]:
    return {
        "strengths": [_row(s, "topic", "level", "offer", "position") for s in user.strengths],
        "questions": [_row(q, "text", "topic", "position") for q in user.questions],
        "learning_goals": [_row(g, "topic", "note", "position") for g in user.learning_goals],
        "boundaries": [_row(b, "topic", "position") for b in user.boundaries],
        "success_criteria": [_row(c, "id", "text", "target_date", "shared", "position")
                             for c in user.success_criteria],
        "availability": [_row(a, "weekday", "start_minute", "end_minute")
                         for a in user.availability],
    }


def _communities(db: Session, user: User) -> list[dict[str, Any]]:
    rows = db.execute(select(Membership, Community).join(Community)
                      .where(Membership.user_id == user.id).order_by(Community.id))
    return [_row(m, "role", "joined_at", "wants_rematch", id=c.id, name=c.name)
            for m, c in rows]


def _circles(db: Session, user: User) -> list[dict[str, Any]]:
    seats = db.execute(select(CircleMember, Circle, Departure.reason)
                       .join(Circle, Circle.id == CircleMember.circle_id)
                       .outerjoin(Departure, Departure.seat_id == CircleMember.id)
                       .where(CircleMember.user_id == user.id).order_by(CircleMember.id))
    out = [_row(seat, "joined_at", "left_at", "left_reason", id=circle.id, name=circle.name,
                kind=circle.kind, community_id=circle.community_id, closed_at=circle.closed_at,
                created_by_me=circle.created_by_id == user.id, departure_reason=reason or "")
           for seat, circle, reason in seats]
    seated = {row["id"] for row in out}
    out += [_row(c, "id", "name", "kind", "community_id", "closed_at", created_by_me=True,
                 seated=False)
            for c in _mine(db, Circle, Circle.created_by_id, user) if c.id not in seated]
    return out


def _sessions(db: Session, user: User) -> list[dict[str, Any]]:
    attended = {a.session_id: a for a in _mine(db, Attendance, Attendance.user_id, user)}
    roles: dict[int, list[str]] = {}
    for role in _mine(db, SessionRole, SessionRole.user_id, user):
        roles.setdefault(role.session_id, []).append(role.role)
    focus: dict[int, int] = {}
    for (session_id,) in db.execute(
            select(SessionPhase.session_id).select_from(SessionStage).join(SessionStage.phase)
            .where(SessionStage.focus_user_id == user.id)):
        focus[session_id] = focus.get(session_id, 0) + 1
    ids = set(attended) | set(roles) | set(focus)
    sessions = db.scalars(select(CircleSession).where(or_(
        CircleSession.id.in_(ids), CircleSession.created_by_id == user.id,
        CircleSession.reported_by_id == user.id))
        .order_by(CircleSession.starts_at, CircleSession.id))
    out = []
    for s in sessions:
        seen = attended.get(s.id)
        out.append(_row(s, "id", "circle_id", "title", "starts_at", "duration_minutes", "status",
                        "video_url", "location",
                        attended=seen is not None,
                        attendance_confirmed_afterwards=bool(seen and seen.confirmed_by_id),
                        said_whether_we_met=s.reported_by_id == user.id,
                        joined_at=seen.joined_at if seen else None,
                        left_at=seen.left_at if seen else None,
                        roles=roles.get(s.id, []), turns_in_focus=focus.get(s.id, 0),
                        created_by_me=s.created_by_id == user.id))
    return out


def _live_contributions(db: Session, user: User) -> dict[str, Any]:
    stage_session = {stage_id: session_id for stage_id, session_id in db.execute(
        select(SessionStage.id, SessionPhase.session_id)
        .join(SessionPhase, SessionPhase.id == SessionStage.phase_id)
        .join(Contribution, Contribution.stage_id == SessionStage.id)
        .where(Contribution.author_id == user.id))}
    contributions = _mine(db, Contribution, Contribution.author_id, user)
    return {
        "contributions": [_row(c, "id", "stage_id", "kind", "text", "helped", "created_at",
                               session_id=stage_session.get(c.stage_id))
                          for c in contributions],
        "agenda_items": [_row(a, "id", "session_id", "title", "timebox_minutes", "covered",
                              "created_at")
                         for a in _mine(db, AgendaItem, AgendaItem.author_id, user)],
        "commitments": [_row(c, "id", "circle_id", "session_id", "text", "due_on", "status",
                             "reflection", "reviewed_in_id", "created_at")
                        for c in _mine(db, Commitment, Commitment.user_id, user)],
    }


def _feedback(db: Session, user: User) -> dict[str, Any]:
    received = _mine(db, Feedback, Feedback.receiver_id, user)
    given = _mine(db, Feedback, Feedback.giver_id, user)
    names = _names(db, [f.giver_id for f in received] + [f.receiver_id for f in given])
    return {
        "feedback_received": [_row(f, "session_id", "strength", "suggestion", "created_at",
                                   giver=_person(names, f.giver_id)) for f in received],
        "feedback_given": [_row(f, "session_id", "strength", "suggestion", "created_at",
                                receiver=_person(names, f.receiver_id)) for f in given],
    }


def _notes(db: Session, user: User) -> dict[str, Any]:
    private = db.scalars(select(Note).where(Note.private.is_(True), Note.slot == user.id)
                         .order_by(Note.session_id))
    shared = db.scalars(select(Note).where(Note.private.is_(False), Note.author_id == user.id)
                        .order_by(Note.session_id))
    return {
        "private": [_row(n, "session_id", "body", "updated_at") for n in private],
        # The shared note is the circle's: only the fact that the member last edited it.
        "shared_last_edited": [_row(n, "session_id", "updated_at") for n in shared],
    }


def _goals(db: Session, user: User) -> dict[str, Any]:
    return {
        "circle_goals_set": [_row(g, "id", "circle_id", "text", "target_date", "closed_at",
                                  "created_at")
                             for g in _mine(db, CircleGoal, CircleGoal.author_id, user)],
        "goal_checkins": [_row(c, "criterion_id", "circle_goal_id", "rating", "line",
                               "visibility", "created_at")
                          for c in _mine(db, GoalCheckin, GoalCheckin.user_id, user)],
    }


def _introductions(db: Session, user: User) -> list[dict[str, Any]]:
    rows = list(db.scalars(select(Introduction).where(or_(
        Introduction.requester_id == user.id, Introduction.broker_id == user.id,
        Introduction.target_id == user.id)).order_by(Introduction.id)))
    names = _names(db, [i for r in rows for i in (r.requester_id, r.broker_id, r.target_id)])
    out = []
    for r in rows:
        if r.target_id == user.id and r.brokered_at is None:
            continue  # the target is asked only once the broker agreed; until then, no trace
        mine = ("requester_shares", "requester_contact") if r.requester_id == user.id else (
            ("target_shares", "target_contact") if r.target_id == user.id else ())
        out.append(_row(r, "id", "community_id", "status", "reason", "broker_note",
                        "created_at", "brokered_at", "decided_at", *mine,
                        requester=_person(names, r.requester_id),
                        broker=_person(names, r.broker_id), target=_person(names, r.target_id)))
    return out


def _network(db: Session, user: User) -> dict[str, Any]:
    ties = list(db.scalars(select(Tie).where(or_(Tie.low_id == user.id, Tie.high_id == user.id))
                           .order_by(Tie.id)))
    meetings = list(db.scalars(select(Interaction).where(or_(
        Interaction.low_id == user.id, Interaction.high_id == user.id)).order_by(Interaction.id)))
    names = _names(db, [i for t in ties for i in (t.low_id, t.high_id)]
                   + [i for m in meetings for i in (m.low_id, m.high_id)])

    def other(row: Tie | Interaction) -> dict[str, Any] | None:
        return _person(names, row.high_id if row.low_id == user.id else row.low_id)

    return {
        "ties": [_row(t, "source", "community_id", "created_at", with_=other(t),
                      declared_by_me=t.declared_by_id == user.id) for t in ties],
        "interactions": [_row(m, "kind", "session_id", "at", with_=other(m)) for m in meetings],
    }


def _notifications(db: Session, user: User) -> dict[str, Any]:
    return {
        "notifications": [_row(n, "kind", "text", "link", "created_at", "read_at", "in_app")
                          for n in _mine(db, Notification, Notification.user_id, user)],
        "notification_preferences": [
            _row(p, "kind", "in_app", "email")
            for p in _mine(db, NotificationPreference, NotificationPreference.user_id, user)],
        "emails": [_row(m, "subject", "body", "link", "created_at", "sent_at")
                   for m in db.scalars(select(OutboxMessage).where(OutboxMessage.to == user.email)
                                       .order_by(OutboxMessage.id))],
    }
