"""Who is in the live room: connections, raised hands, ready flags, and facilitation handover.

Presence is counted per connection (one ``Presence`` row per Socket.IO sid), so two tabs are
one person who leaves only when the last tab closes. A member without connections shows as
"reconnecting" until ``away_grace`` seconds have passed, then "away". If the facilitator has
been without a connection for ``grace`` seconds the timekeeper may take over — explicitly,
and never while the current stage's timer runs — and the facilitator may take it back.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from circles.errors import Conflict
from circles.live.room import (
    Change,
    bump,
    current_phase,
    current_stage,
    flag,
    holder,
    ident,
    require_live,
    require_role,
    session_for_member,
)
from circles.live.snapshot import hands_queue, phase_views, presence_view, roles_view
from circles.models import (
    Attendance,
    CircleSession,
    Presence,
    RoleHandover,
    SessionRole,
    SessionStage,
    User,
    as_utc,
    utcnow,
)

TIMER_RUNS = _l("The timer is running: pause it first, so no role changes hands mid-timer.")


def join(db: Session, user: User, session_id: object, sid: str, *, away_grace: float = 30.0,
         now: datetime | None = None, process_id: str | None = None) -> Change:
    """A member's connection enters the room; a late arrival still gets a check-in turn.

    ``process_id`` names the server process holding the connection, so that the connection
    is swept if that process dies (``circles.live.processes``)."""
    session = session_for_member(db, user.id, session_id)
    now = now or utcnow()
    if session.status in ("ended", "cancelled"):
        return Change(session.id, session.version, None)
    if db.scalar(select(Presence).where(Presence.session_id == session.id,
                                        Presence.sid == sid)) is None:
        db.add(Presence(session_id=session.id, user_id=user.id, sid=sid, connected_at=now,
                        process_id=process_id))
    seen = _attendance(db, session.id, user.id)
    if seen is None:
        db.add(Attendance(session_id=session.id, user_id=user.id, joined_at=now, last_seen=now))
    else:
        seen.last_seen, seen.left_at = now, None
    db.flush()
    change = presence_change(db, session, user.id, away_grace, now)
    if _late_check_in(db, session, user.id):
        change["phases"] = phase_views(db, session.id, now)
    return Change(session.id, bump(session), change)


def _late_check_in(db: Session, session: CircleSession, user_id: int) -> bool:
    phase = current_phase(db, session.id)
    if phase is None or phase.kind != "checkin":
        return False
    if any(stage.focus_user_id == user_id for stage in phase.stages):
        return False
    phase.stages.append(SessionStage(position=len(phase.stages), focus_user_id=user_id))
    db.flush()
    return True


def leave(db: Session, user: User, session_id: object, sid: str, *, away_grace: float = 30.0,
          now: datetime | None = None) -> Change:
    """A member's connection leaves the room on purpose (closing the room page)."""
    session = session_for_member(db, user.id, session_id)
    presence = db.scalar(select(Presence).where(Presence.session_id == session.id,
                                                Presence.sid == sid))
    if presence is None:
        return Change(session.id, session.version, None)
    return drop_connection(db, session, presence, away_grace, now or utcnow())


def disconnect(db: Session, sid: str, *, away_grace: float = 30.0,
               now: datetime | None = None) -> list[Change]:
    """A socket went away: it leaves every room it was in (the sid is the server's own)."""
    changes = []
    for presence in list(db.scalars(select(Presence).where(Presence.sid == sid))):
        session = db.scalar(select(CircleSession).where(CircleSession.id == presence.session_id)
                            .with_for_update())
        if session is not None:
            changes.append(drop_connection(db, session, presence, away_grace, now or utcnow()))
    return changes


def depart(db: Session, user_id: int, circle_id: int, *, away_grace: float = 30.0,
           now: datetime | None = None) -> tuple[list[int], list[Change]]:
    """A member left the circle: their connections leave its sessions' rooms.

    Returns the circle's session ids (rooms the member's sockets must leave) and a presence
    change for each connection dropped, for the rest of the room to see.
    """
    session_ids = list(db.scalars(select(CircleSession.id)
                                  .where(CircleSession.circle_id == circle_id)
                                  .order_by(CircleSession.id)))
    changes = []
    for presence in list(db.scalars(select(Presence).where(
            Presence.user_id == user_id, Presence.session_id.in_(session_ids)))):
        session = db.scalar(select(CircleSession).where(CircleSession.id == presence.session_id)
                            .with_for_update())
        if session is not None:
            changes.append(drop_connection(db, session, presence, away_grace, now or utcnow()))
    return session_ids, changes


def drop_connection(db: Session, session: CircleSession, presence: Presence,
                    away_grace: float, now: datetime) -> Change:
    """One connection leaves ``session`` (locked by the caller): the room's presence change."""
    db.delete(presence)
    seen = _attendance(db, session.id, presence.user_id)
    if seen is not None:
        seen.last_seen = now
    db.flush()
    return Change(session.id, bump(session),
                  presence_change(db, session, presence.user_id, away_grace, now))


def presence_change(db: Session, session: CircleSession, user_id: int, away_grace: float,
                    now: datetime) -> dict[str, object]:
    """The room's ``presence`` change: the whole member entry, as in the snapshot's
    ``members`` (with ``display_name``), so a client may replace its entry with it."""
    name = db.scalar(select(User.display_name).where(User.id == user_id))
    return {"type": "presence", "member": {
        "id": user_id, "display_name": name,
        **presence_view(_attendance(db, session.id, user_id),
                        _connections(db, session.id, user_id), away_grace, now)}}


def _attendance(db: Session, session_id: int, user_id: int) -> Attendance | None:
    return db.scalar(select(Attendance).where(Attendance.session_id == session_id,
                                              Attendance.user_id == user_id))


def _connections(db: Session, session_id: int, user_id: int) -> int:
    return db.scalar(select(func.count(Presence.id)).where(
        Presence.session_id == session_id, Presence.user_id == user_id)) or 0


# --- hands and ready ---------------------------------------------------------------------


def hand(db: Session, user: User, session_id: object, raised: object,
         member_id: object = None, *, now: datetime | None = None) -> Change:
    """Raise or lower one's own hand; the facilitator may also lower someone else's.

    One statement changes the hand and reads the room's queue: the ``UPDATE`` takes the
    member's attendance and every one with a hand up (left as it is), and returns them."""
    session = session_for_member(db, user.id, session_id)
    up = flag("raised", raised)
    target = user.id if member_id is None else ident("member_id", member_id, "member")
    if target != user.id:
        require_role(session, user.id, ("facilitator",), _l("lower another member's hand"))
        if up:
            raise Conflict(_("Members raise their own hands."))
    require_live(session)
    hand_now = func.coalesce(Attendance.hand_raised_at, now or utcnow()) if up else None
    raised_or_target = list(db.execute(
        update(Attendance).where(Attendance.session_id == session.id, or_(
            Attendance.user_id == target, Attendance.hand_raised_at.is_not(None)))
        .values(hand_raised_at=case((Attendance.user_id == target, hand_now),
                                    else_=Attendance.hand_raised_at))
        .returning(Attendance.id, Attendance.user_id, Attendance.hand_raised_at),
        execution_options={"synchronize_session": False}))
    if not any(row.user_id == target for row in raised_or_target):
        raise Conflict(_("Join the session first."))
    return Change(session.id, bump(session),
                  {"type": "hands", "hands": hands_queue(raised_or_target)})


def ready(db: Session, user: User, session_id: object, is_ready: object) -> Change:
    """Say one is ready to move on; the facilitator sees it, and advancing clears it.

    One statement sets the flag and finds whether the member has joined (no read of the
    attendance first: each statement is a round trip to PostgreSQL)."""
    session = session_for_member(db, user.id, session_id)
    value = flag("ready", is_ready)
    require_live(session)
    joined = db.execute(update(Attendance).where(
        Attendance.session_id == session.id, Attendance.user_id == user.id,
    ).values(ready=value).returning(Attendance.id)).first()
    if joined is None:
        raise Conflict(_("Join the session first."))
    return Change(session.id, bump(session),
                  {"type": "ready", "user_id": user.id, "ready": value})


# --- facilitation handover -----------------------------------------------------------------


def take_over(db: Session, user: User, session_id: object, *, grace: float = 30.0,
              now: datetime | None = None) -> Change:
    """The timekeeper takes over facilitation from a facilitator gone for ``grace`` seconds
    (or a vacant role)."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    require_role(session, user.id, ("timekeeper",), _l("take over facilitation"))
    now = now or utcnow()
    absent = holder(session, "facilitator")
    if absent == user.id:
        raise Conflict(_("You are already the facilitator."))
    if absent is not None:
        gone_since = _gone_since(db, session, absent)
        if gone_since is None:
            raise Conflict(_("The facilitator is here; ask them to hand over."))
        wait = as_utc(gone_since) + timedelta(seconds=grace) - now
        if wait.total_seconds() > 0:
            raise Conflict(_("The facilitator may be reconnecting; you can take over in "
                             "%(seconds)s s.", seconds=math.ceil(wait.total_seconds())))
    _refuse_while_timer_runs(db, session)
    _facilitator_role(session).user_id = user.id
    db.add(RoleHandover(session_id=session.id, role="facilitator", from_user_id=absent,
                        to_user_id=user.id, at=now))
    db.flush()
    return Change(session.id, bump(session), {"type": "roles", "roles": roles_view(db, session)})


def take_back(db: Session, user: User, session_id: object, *,
              now: datetime | None = None) -> Change:
    """The facilitator who was taken over from takes the role back on return."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    handover = db.scalar(select(RoleHandover).where(
        RoleHandover.session_id == session.id, RoleHandover.role == "facilitator",
        RoleHandover.from_user_id == user.id, RoleHandover.returned_at.is_(None)))
    if handover is None:
        raise Conflict(_("There is no facilitation of yours to take back."))
    _refuse_while_timer_runs(db, session)
    _facilitator_role(session).user_id = user.id
    handover.returned_at = now or utcnow()
    db.flush()
    return Change(session.id, bump(session), {"type": "roles", "roles": roles_view(db, session)})


def _gone_since(db: Session, session: CircleSession, user_id: int) -> datetime | None:
    """Since when ``user_id`` has had no connection (None: connected now)."""
    if _connections(db, session.id, user_id):
        return None
    seen = _attendance(db, session.id, user_id)
    if seen is not None:
        return seen.last_seen
    return session.started_at or utcnow()


def _refuse_while_timer_runs(db: Session, session: CircleSession) -> None:
    stage = current_stage(db, session.id)
    if stage is not None and stage.ends_at is not None:
        raise Conflict(str(TIMER_RUNS))


def _facilitator_role(session: CircleSession) -> SessionRole:
    role = next((r for r in session.roles if r.role == "facilitator"), None)
    if role is None:
        role = SessionRole(role="facilitator")
        session.roles.append(role)
    return role
