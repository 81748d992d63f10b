"""Running a live session: the circle's phase order, start, advance, timer, prompt and end.

Plain functions on a ``db`` session (see ``circles.live.room`` for the ground rules they
share); the Socket.IO edge in ``realtime/live.py`` commits and broadcasts what they return.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from itertools import combinations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from circles.communities.renewal import cycle_ended
from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import term
from circles.live import airtime, formats
from circles.live.room import (
    Change,
    bump,
    choice,
    current_phase,
    current_stage,
    feedback_open_until,
    ident,
    integer,
    is_member,
    iso,
    member_ids,
    phases,
    require_live,
    require_phase,
    require_role,
    session_for_member,
    text,
)
from circles.live.snapshot import phase_views, private_summary, shared_summary, timer_view
from circles.models import (
    AgendaItem,
    Attendance,
    CirclePhaseOrder,
    CircleSession,
    Commitment,
    Feedback,
    Interaction,
    Note,
    Presence,
    SessionPhase,
    SessionRole,
    SessionStage,
    User,
    as_utc,
    utcnow,
)
from circles.models.live import PHASE_KINDS, ROUNDS, SHARED_NOTE
from circles.notify.notifications import notify
from circles.sessions.carry_over import carried, carry_into, carry_over

TIMER_ACTIONS = ("start", "pause", "resume", "extend", "stop")
MAX_TIMER_SECONDS = 3600
MAX_EXTEND_SECONDS = 1800


# --- the circle's phase order ---------------------------------------------------------------


def phase_order(db: Session, circle_id: int) -> list[str]:
    """The circle's phases in order; all seven by default."""
    saved = db.get(CirclePhaseOrder, circle_id)
    return saved.kinds if saved is not None else list(PHASE_KINDS)


def phase_order_for_member(db: Session, user: User, circle_id: object) -> list[str]:
    """The circle's phase order, for a member of it."""
    return phase_order(db, _circle_of_member(db, user, circle_id))


def _circle_of_member(db: Session, user: User, circle_id: object) -> int:
    wanted = ident("circle_id", circle_id)
    if not is_member(db, user.id, wanted):
        raise NotFound("circle")
    return wanted


def set_phase_order(db: Session, user: User, circle_id: object, kinds: object) -> list[str]:
    """Let a member of the circle reorder or skip phases for its next sessions. Close stays,
    and last (it produces the summary); focus rounds need the agenda before them."""
    circle = _circle_of_member(db, user, circle_id)
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise InvalidInput.field("phases", _("Give the phases as a list of names."))
    unknown = [k for k in kinds if k not in PHASE_KINDS]
    if unknown:
        raise InvalidInput.field("phases", _("Unknown phase %(phase)s; choose from %(kinds)s.",
                                             phase=repr(unknown[0]),
                                             kinds=", ".join(PHASE_KINDS)))
    if len(set(kinds)) != len(kinds):
        raise InvalidInput.field("phases", _("Each phase can appear only once."))
    if not kinds or kinds[-1] != "close":
        raise InvalidInput.field("phases", _("Close must be the last phase."))
    if "focus" in kinds and ("agenda" not in kinds or kinds.index("agenda") > kinds.index("focus")):
        raise InvalidInput.field("phases", _("Focus rounds need the agenda phase before them."))
    saved = db.get(CirclePhaseOrder, circle)
    if saved is None:
        db.add(CirclePhaseOrder(circle_id=circle, phases=",".join(kinds)))
    else:
        saved.phases = ",".join(kinds)
    db.flush()
    return list(kinds)


# --- start ------------------------------------------------------------------------------------


def start(db: Session, user: User, session_id: object, *, now: datetime | None = None) -> Change:
    """The facilitator starts the session (a member may claim a vacant facilitator role by
    starting it): phases are built from the circle's order and the first one begins."""
    session = session_for_member(db, user.id, session_id)
    if session.circle.closed_at is not None:
        raise Conflict(_("This circle has closed, so its sessions no longer start."))
    if session.status != "scheduled":
        raise Conflict(_("The session is already %(status)s.", status=term(session.status)))
    _claim_vacant_facilitator(db, session, user.id)
    require_role(session, user.id, ("facilitator",), _l("start the session"))
    now = now or utcnow()
    carry_into(db, session)
    kinds = formats.phase_kinds(session, phase_order(db, session.circle_id))
    for position, kind in enumerate(kinds):
        phase = SessionPhase(session_id=session.id, kind=kind, position=position)
        if kind == ROUNDS:
            formats.build_rounds(db, session, phase)
        else:
            phase.stages = [SessionStage(position=n, focus_user_id=uid)
                            for n, uid in enumerate(_turns(db, session, kind))]
        db.add(phase)
    if db.scalar(select(Note.id).where(Note.session_id == session.id,
                                       Note.slot == SHARED_NOTE)) is None:
        db.add(Note(session_id=session.id, slot=SHARED_NOTE, private=False))  # may exist already
    session.status, session.started_at = "live", now
    db.flush()
    every = phases(db, session.id)
    _enter(db, session, 0, now, every)
    return Change(session.id, bump(session), {
        "type": "started", "status": "live", "started_at": iso(now),
        "phases": phase_views(db, session.id, now, every)})


def _claim_vacant_facilitator(db: Session, session: CircleSession, user_id: int) -> None:
    role = next((r for r in session.roles if r.role == "facilitator"), None)
    if role is None:
        session.roles.append(SessionRole(role="facilitator", user_id=user_id))
        db.flush()
    elif role.user_id is None:
        role.user_id = user_id


def _turns(db: Session, session: CircleSession, kind: str) -> list[int | None]:
    """Who each stage of a phase belongs to (None: a stage for everyone at once)."""
    members = member_ids(db, session.circle_id)
    if kind == "checkin":
        present = set(db.scalars(select(Presence.user_id)
                                 .where(Presence.session_id == session.id)))
        return [uid for uid in members if uid in present] or list(members)
    if kind == "review":
        owing = set(db.scalars(select(Commitment.user_id).where(
            Commitment.circle_id == session.circle_id, Commitment.status == "open",
            Commitment.session_id != session.id)))
        turns: list[int | None] = [uid for uid in members if uid in owing]
        return turns or ([None] if carried(db, session.id) else [])
    if kind == "focus":
        return []  # built from the agenda once the agenda phase is done
    return [None]


def _enter(db: Session, session: CircleSession, position: int, now: datetime,
           every: list[SessionPhase]) -> SessionPhase | None:
    """Make the first of ``every`` phase at or after ``position`` that has stages active;
    phases without stages (no commitments to review, an empty agenda) are passed as done."""
    for phase in every[position:]:
        if phase.kind == "focus" and not phase.stages:
            items = db.scalars(select(AgendaItem).where(AgendaItem.session_id == session.id)
                               .order_by(AgendaItem.position, AgendaItem.id))
            phase.stages = [SessionStage(position=n, focus_user_id=item.author_id,
                                         agenda_item_id=item.id)
                            for n, item in enumerate(items)]
            db.flush()
        if not phase.stages:
            phase.status = "done"
            continue
        phase.status = "active"
        phase.stages[0].status, phase.stages[0].began_at = "active", now
        return phase
    return None


# --- advance ----------------------------------------------------------------------------------


def advance(db: Session, user: User, session_id: object, *, expected_version: object = None,
            now: datetime | None = None) -> Change:
    """The facilitator moves on to the next stage (or phase); ready flags are cleared. With
    ``expected_version``, only if nothing changed meanwhile: a double click skips no stage."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    require_role(session, user.id, ("facilitator",), _l("advance the session"))
    if expected_version is not None and integer(
            "version", expected_version, low=0, high=2**31 - 1) != session.version:
        raise Conflict(_("The session changed meanwhile (now version %(version)s); nothing was "
                         "advanced.", version=session.version))
    phase = current_phase(db, session.id)
    if phase is None:
        raise Conflict(_("There is nothing left to advance to; end the session."))
    every = phases(db, session.id)  # read once (stages too): what comes next, the room's view
    stage = next(s for s in phase.stages if s.status == "active")
    following = [s for s in phase.stages if s.position > stage.position]
    if not following and not any(p.kind == "focus" or p.stages
                                 for p in every if p.position > phase.position):
        raise Conflict(_("This is the last stage; end the session to close it."))
    now = now or utcnow()
    _finish(db, stage, now)
    if following:
        following[0].status, following[0].began_at = "active", now
    else:
        phase.status = "done"
        _enter(db, session, phase.position + 1, now, every)
    db.execute(update(Attendance).where(Attendance.session_id == session.id)
               .values(ready=False).execution_options(synchronize_session="evaluate"))
    return Change(session.id, bump(session), {"type": "advanced",
                                              "phases": phase_views(db, session.id, now, every)},
                  private=(airtime.private_changes(db, session, now)
                           if phase.kind in airtime.COUNTED else []))


def _finish(db: Session, stage: SessionStage, now: datetime) -> None:
    stage.status, stage.finished_at = "done", now
    stage.ends_at = stage.paused_remaining_ms = None
    if stage.agenda_item_id is not None:
        item = db.get(AgendaItem, stage.agenda_item_id)
        if item is not None:
            item.covered = True


# --- timer and prompt -------------------------------------------------------------------------


def timer(db: Session, user: User, session_id: object, action: object,
          seconds: object = None, *, minutes: object = None,
          now: datetime | None = None) -> Change:
    """The timekeeper (or facilitator) starts, pauses, resumes, extends or stops the timer of
    the current stage; the server holds the absolute end time. A length comes in
    ``minutes`` or in ``seconds`` (refusals speak in the unit it came in); the timer never
    holds more than an hour."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    require_role(session, user.id, ("timekeeper", "facilitator"), _l("run the timer"))
    verb = choice("action", action, TIMER_ACTIONS, _l("an action"))
    stage = current_stage(db, session.id)
    if stage is None:
        raise Conflict(_("No stage is under way to time."))
    now = now or utcnow()
    formats.check_timer(session, stage, verb)
    if verb == "start":
        stage.ends_at = now + timedelta(seconds=_start_seconds(db, stage, seconds, minutes))
        stage.paused_remaining_ms, stage.started_by_id = None, user.id
    elif verb == "pause":
        if stage.ends_at is None:
            raise Conflict(_("The timer is not running."))
        left = as_utc(stage.ends_at) - now
        stage.paused_remaining_ms = max(0, int(left.total_seconds() * 1000))
        stage.ends_at = None
    elif verb == "resume":
        if stage.paused_remaining_ms is None:
            raise Conflict(_("The timer is not paused."))
        stage.ends_at = now + timedelta(milliseconds=stage.paused_remaining_ms)
        stage.paused_remaining_ms = None
    elif verb == "extend":
        _extend(stage, seconds, minutes, now)
    else:
        stage.ends_at = stage.paused_remaining_ms = None
    return Change(session.id, bump(session), {"type": "timer", "stage_id": stage.id,
                                              "timer": timer_view(stage, now)})


def _length(seconds: object, minutes: object, most: int, *, needed: str) -> tuple[int, str]:
    """Seconds asked for, from ``minutes`` or ``seconds`` (at most ``most`` seconds), and
    the field it came in."""
    if minutes is not None:
        return integer("minutes", minutes, low=1, high=most // 60, unit=_l("minutes")) * 60, \
            "minutes"
    if seconds is not None:
        return integer("seconds", seconds, low=1, high=most, unit=_l("seconds")), "seconds"
    raise InvalidInput.field("minutes", str(needed))


def _start_seconds(db: Session, stage: SessionStage, seconds: object, minutes: object) -> int:
    if seconds is None and minutes is None and stage.seconds is not None:
        return stage.seconds  # a format's step has its planned length
    if seconds is None and minutes is None and stage.agenda_item_id is not None:
        item = db.get(AgendaItem, stage.agenda_item_id)
        if item is not None:
            return item.timebox_minutes * 60
    return _length(seconds, minutes, MAX_TIMER_SECONDS, needed=_l("Say how many minutes to time."))[0]


def _extend(stage: SessionStage, seconds: object, minutes: object, now: datetime) -> None:
    extra, field = _length(seconds, minutes, MAX_EXTEND_SECONDS,
                           needed=_l("Say how many minutes to add."))
    if stage.ends_at is not None:
        left = max(0.0, (as_utc(stage.ends_at) - now).total_seconds())
    elif stage.paused_remaining_ms is not None:
        left = stage.paused_remaining_ms / 1000
    else:
        raise Conflict(_("Start the timer before extending it."))
    room = MAX_TIMER_SECONDS - math.ceil(left)
    if extra > room:
        size = 60 if field == "minutes" else 1
        if room < size:
            most = _("The timer holds an hour at most: it cannot take more.")
        elif field == "minutes":
            most = ngettext("The timer holds an hour at most: add %(num)d minute at most.",
                            "The timer holds an hour at most: add %(num)d minutes at most.",
                            room // size)
        else:
            most = ngettext("The timer holds an hour at most: add %(num)d second at most.",
                            "The timer holds an hour at most: add %(num)d seconds at most.",
                            room // size)
        raise InvalidInput.field(field, most)
    if stage.ends_at is not None:
        stage.ends_at = as_utc(stage.ends_at) + timedelta(seconds=extra)
    else:
        stage.paused_remaining_ms = (stage.paused_remaining_ms or 0) + extra * 1000


def set_prompt(db: Session, user: User, session_id: object, prompt: object) -> Change:
    """The facilitator changes the check-in prompt."""
    session = session_for_member(db, user.id, session_id)
    require_role(session, user.id, ("facilitator",), _l("change the check-in prompt"))
    phase = require_phase(db, session, "checkin")
    phase.prompt = text("prompt", prompt, max_len=200, required=False, what=_l("the prompt"))
    return Change(session.id, bump(session), {"type": "prompt", "phase_id": phase.id,
                                              "prompt": phase.prompt})


# --- end --------------------------------------------------------------------------------------


def end(db: Session, user: User, session_id: object, *, now: datetime | None = None) -> Change:
    """The facilitator ends the session: attendance closed, interactions recorded, a summary
    for the room and each member's own feedback for them alone."""
    session = session_for_member(db, user.id, session_id)
    require_live(session)
    require_role(session, user.id, ("facilitator",), _l("end the session"))
    now = now or utcnow()
    for phase in phases(db, session.id):
        for stage in phase.stages:
            if stage.status == "active":
                _finish(db, stage, now)
        if phase.status == "active":
            phase.status = "done"
    attendees = sorted(set(db.scalars(select(Attendance.user_id)
                                      .where(Attendance.session_id == session.id))))
    for attendance in db.scalars(select(Attendance).where(Attendance.session_id == session.id,
                                                          Attendance.left_at.is_(None))):
        attendance.left_at = attendance.last_seen = now
        attendance.ready, attendance.hand_raised_at = False, None
    db.execute(delete(Presence).where(Presence.session_id == session.id))
    _record_interactions(db, session.id, attendees, now)
    session.status, session.ended_at = "ended", now
    db.flush()
    carry_over(db, session)
    cycle_ended(db, session.circle)
    for receiver in sorted(set(db.scalars(select(Feedback.receiver_id)
                                          .where(Feedback.session_id == session.id)))):
        notify(db, receiver, "feedback", _l("You received feedback in %(name)s.",
                                                name=session.circle.name),
               f"/sessions/{session.id}/live", key=f"feedback:{session.id}")
    members = member_ids(db, session.circle_id)
    return Change(session.id, bump(session),
                  {"type": "ended", "status": "ended", "ended_at": iso(now),
                   "feedback_open_until": iso(feedback_open_until(session)),
                   "summary": shared_summary(db, session)},
                  private=[(uid, {"type": "summary_feedback",
                                  "feedback": private_summary(db, session.id, uid)})
                           for uid in members])


def _record_interactions(db: Session, session_id: int, attendees: list[int],
                         now: datetime) -> None:
    for low, high in combinations(attendees, 2):
        db.add(Interaction(low_id=low, high_id=high, kind="session", session_id=session_id,
                           at=now))
    for given in db.scalars(select(Feedback).where(Feedback.session_id == session_id)):
        low, high = sorted((given.giver_id, given.receiver_id))
        db.add(Interaction(low_id=low, high_id=high, kind="feedback", session_id=session_id,
                           at=now))

