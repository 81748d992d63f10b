"""Pulse checks and circle health: when to ask, what facilitators may see, when a circle is at risk.

A member answers "Is this circle working for you?" (1–5, an optional comment only they read)
after each session they attended and at least monthly. Answers form *rounds*: those that
followed one session, or, for the monthly ones, one calendar month. Facilitators see only
aggregates, and only where an aggregate cannot be traced back to one person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circles.communities.circle import circles_of
from circles.errors import Conflict, InvalidInput, NotFound
from circles.models import (
    Attendance,
    Circle,
    CircleMember,
    CircleSession,
    Membership,
    Pulse,
    User,
    as_utc,
    utcnow,
)
from circles.models.pulse import round_key
from circles.notify.notifications import notify
from circles.sessions.scheduling import ends_at

COMMENT_MAX = 500
MONTHLY = timedelta(days=30)
QUIET_DAYS = 45
UNANSWERED_AFTER = timedelta(days=3)  # a session nobody said they met in counts as not met
HEALTH_WINDOW = timedelta(days=90)
RECENT_LEAVE = timedelta(days=30)
LOW_MEAN = 2.0
MIN_GROUP = 3  # answers from fewer people than this and a mean would give answers away
OPTIONS = (
    _l("Change the cadence: meet less or more often, or at a time that suits everyone better."),
    _l("Swap roles, so that facilitating, timekeeping and note-taking feel different."),
    _l("Re-match: any member may call it a day, without blame, and be placed in the next "
       "round."),
)


@dataclass(frozen=True)
class Due:
    """A pulse the member owes one circle: after ``session`` or, when None, the monthly one."""

    circle: Circle
    session: CircleSession | None


@dataclass(frozen=True)
class Risk:
    """Why a circle looks at risk; ``key`` names the episode, so it is notified once."""

    code: str
    text: LazyString  # in the reader's language: str() it on a page, ``notify`` renders it
    key: str


@dataclass
class Health:
    """What a facilitator may know of a circle: aggregates and the at-risk reasons."""

    circle: Circle
    count: int | None  # None for pairs: two answers are never shown, even counted
    mean: float | None  # None for pairs and for too few answers
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"circle_id": self.circle.id, "count": self.count, "mean": self.mean,
                "at_risk": bool(self.reasons), "reasons": list(self.reasons)}


def _seat(circle: Circle, user_id: int) -> CircleMember | None:
    return next((s for s in circle.current_seats if s.user_id == user_id), None)


def _ended_sessions(db: Session, circle: Circle) -> list[CircleSession]:
    """The circle's ended sessions, latest first."""
    return list(db.scalars(
        select(CircleSession)
        .where(CircleSession.circle_id == circle.id, CircleSession.status == "ended")
        .order_by(CircleSession.starts_at.desc(), CircleSession.id.desc())
    ))


def _ended_at(session: CircleSession) -> datetime:
    return as_utc(session.ended_at or session.starts_at)


def _attended(db: Session, session: CircleSession, user_id: int) -> bool:
    return db.scalar(select(Attendance.id).where(
        Attendance.session_id == session.id, Attendance.user_id == user_id)) is not None


def _last_pulse(db: Session, circle: Circle, user_id: int) -> Pulse | None:
    return db.scalar(
        select(Pulse).where(Pulse.circle_id == circle.id, Pulse.user_id == user_id)
        .order_by(Pulse.created_at.desc(), Pulse.id.desc()).limit(1)
    )


def due_in(db: Session, user: User, circle: Circle, now: datetime) -> Due | None:
    """The pulse ``user`` owes ``circle`` now, if any: the latest session they attended comes
    first; otherwise one a month, counted from their last answer or from joining."""
    seat = _seat(circle, user.id)
    if seat is None or circle.closed_at is not None:
        return None
    last = _last_pulse(db, circle, user.id)
    answered = as_utc(last.created_at) if last is not None else None
    latest = next(iter(_ended_sessions(db, circle)), None)
    if (latest is not None and _ended_at(latest) <= now
            and (answered is None or answered < _ended_at(latest))
            and _attended(db, latest, user.id)):
        return Due(circle, latest)
    since = answered or as_utc(seat.joined_at)
    return Due(circle, None) if now - since >= MONTHLY else None


def pulse_due(db: Session, user: User, now: datetime | None = None) -> list[Due]:
    """Every pulse ``user`` owes now, one at most per open circle they sit in."""
    now = now or utcnow()
    found = (due_in(db, user, circle, now) for circle in circles_of(db, user.id))
    return [due for due in found if due is not None]


def record_pulse(db: Session, user: User, circle: Circle, *, score: object, comment: str = "",
                 now: datetime | None = None) -> Pulse:
    """Save a member's answer in its round: the session it follows when one is due, the
    month when the monthly one is; with nothing due, the answer revises the member's last
    one. A round holds one answer per member, so a second answer replaces the first."""
    now = now or utcnow()
    if _seat(circle, user.id) is None:
        raise NotFound("circle")
    if circle.closed_at is not None:
        raise Conflict(_("This circle has closed, so there are no more pulse checks for it."))
    value, comment = _checked_answer(score, comment)
    session_id, key = _round_of_answer(db, user, circle, now)
    earlier = _answer_in(db, circle, user, key)
    if earlier is None:
        try:
            with db.begin_nested():  # a concurrent answer to the same round may win the race
                pulse = Pulse(circle_id=circle.id, user_id=user.id, score=value,
                              comment=comment, session_id=session_id, round_key=key,
                              created_at=now)
                db.add(pulse)
            return pulse
        except IntegrityError:
            earlier = _answer_in(db, circle, user, key)
            if earlier is None:
                raise
    earlier.score, earlier.comment = value, comment
    db.flush()
    return earlier


def _checked_answer(score: object, comment: str) -> tuple[int, str]:
    errors: dict[str, str] = {}
    value = score if isinstance(score, int) and not isinstance(score, bool) else None
    if value is None or not 1 <= value <= 5:
        errors["score"] = _("Choose a score from 1 (not working) to 5 (working very well).")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("Keep the comment under %(max)s characters (%(count)s now).",
                              max=COMMENT_MAX, count=len(comment))
    if errors or value is None:
        raise InvalidInput(errors)
    return value, comment


def _round_of_answer(db: Session, user: User, circle: Circle,
                     now: datetime) -> tuple[int | None, str]:
    """The session (if any) and round an answer given ``now`` belongs to."""
    due = due_in(db, user, circle, now)
    if due is not None:
        session_id = due.session.id if due.session is not None else None
        return session_id, round_key(session_id, now)
    last = _last_pulse(db, circle, user.id)
    if last is not None:  # nothing owed: this revises the last answer, in its round
        return last.session_id, last.round_key
    return None, round_key(None, now)


def _answer_in(db: Session, circle: Circle, user: User, key: str) -> Pulse | None:
    return db.scalar(select(Pulse).where(Pulse.circle_id == circle.id, Pulse.user_id == user.id,
                                         Pulse.round_key == key))


def own_pulse(db: Session, user: User, pulse_id: int) -> Pulse:
    """A pulse for its author only; anyone else (facilitators and admins too) gets not found."""
    pulse = db.get(Pulse, pulse_id)
    if pulse is None or pulse.user_id != user.id:
        raise NotFound("pulse")
    return pulse


def own_pulses(db: Session, user: User, circle: Circle) -> list[Pulse]:
    return list(db.scalars(
        select(Pulse).where(Pulse.circle_id == circle.id, Pulse.user_id == user.id)
        .order_by(Pulse.created_at.desc(), Pulse.id.desc())
    ))


def all_own_pulses(db: Session, user: User) -> list[tuple[Pulse, Circle]]:
    """Every pulse answer of the member with its circle, newest first (closed circles too)."""
    return [(p, c) for p, c in db.execute(
        select(Pulse, Circle).join(Circle, Circle.id == Pulse.circle_id)
        .where(Pulse.user_id == user.id)
        .order_by(Pulse.created_at.desc(), Pulse.id.desc()))]


def _rounds(db: Session, circle: Circle) -> list[list[int]]:
    """Scores per round in the order rounds began: one round per session, else per month."""
    rounds: dict[str, list[int]] = defaultdict(list)
    began: dict[str, datetime] = {}
    for pulse in db.scalars(select(Pulse).where(Pulse.circle_id == circle.id)):
        when = as_utc(pulse.created_at)
        rounds[pulse.round_key].append(pulse.score)
        began[pulse.round_key] = min(began.get(pulse.round_key, when), when)
    return [rounds[key] for key in sorted(rounds, key=lambda k: began[k])]


def _is_pair(circle: Circle) -> bool:
    return circle.kind == "pair" or len(circle.current_seats) < MIN_GROUP


def circle_health(db: Session, circle: Circle, now: datetime | None = None) -> dict[str, object]:
    """Aggregates of the last 90 days' pulses and the at-risk reasons, never one answer."""
    return health(db, circle, now).as_dict()


def health(db: Session, circle: Circle, now: datetime | None = None) -> Health:
    now = now or utcnow()
    reasons = [risk.text for risk in risks(db, circle, now)]
    if _is_pair(circle):
        return Health(circle, None, None, reasons)
    recent = list(db.execute(select(Pulse.user_id, Pulse.score).where(
        Pulse.circle_id == circle.id, Pulse.created_at >= now - HEALTH_WINDOW)))
    people = {user_id for user_id, _ in recent}
    scores = [score for _, score in recent]
    mean = round(fmean(scores), 1) if len(people) >= MIN_GROUP else None
    return Health(circle, len(scores), mean, reasons)


def _low_pulses(db: Session, circle: Circle) -> Risk | None:
    low = [fmean(scores) <= LOW_MEAN for scores in _rounds(db, circle)]
    if len(low) < 2 or not all(low[-2:]):
        return None
    start = len(low) - 1
    while start > 0 and low[start - 1]:
        start -= 1
    return Risk("low_pulse", _l("The last two pulse rounds were low (2 or under on average)."),
                f"low_pulse:{start}")


def _absent(db: Session, session: CircleSession, user_ids: set[int]) -> set[int]:
    present = set(db.scalars(select(Attendance.user_id).where(
        Attendance.session_id == session.id, Attendance.user_id.in_(user_ids))))
    return user_ids - present


def _no_shows(db: Session, circle: Circle) -> Risk | None:
    ended = _ended_sessions(db, circle)
    if len(ended) < 2:
        return None
    expected = {seat.user_id for seat in circle.current_seats
                if as_utc(seat.joined_at) <= as_utc(ended[1].starts_at)}
    missing = _absent(db, ended[0], expected) & _absent(db, ended[1], expected)
    if not missing:
        return None
    # The key names the first session of the run of absences, so one run is notified once.
    start = 1
    while start + 1 < len(ended) and missing <= _absent(db, ended[start + 1], missing):
        start += 1
    return Risk("no_shows", lazy_ngettext("A member has missed the last two sessions.",
                                          "%(num)d members have missed the last two sessions.",
                                          len(missing)),
                f"no_shows:{ended[start].id}")


def _unmet(db: Session, circle: Circle, now: datetime) -> Risk | None:
    """The last two sessions over by the clock were not held: members said they did not
    meet, or nobody said they met within ``UNANSWERED_AFTER`` (a session still waiting for
    its answer is left out until then)."""
    over = [s for s in db.scalars(
        select(CircleSession).where(CircleSession.circle_id == circle.id,
                                    CircleSession.status != "cancelled",
                                    CircleSession.starts_at <= now)
        .order_by(CircleSession.starts_at.desc(), CircleSession.id.desc())) if ends_at(s) <= now]
    settled = [s for s in over
               if not (s.status == "scheduled" and ends_at(s) + UNANSWERED_AFTER > now)]
    unmet = [s.status in ("scheduled", "missed") for s in settled]
    if len(unmet) < 2 or not (unmet[0] and unmet[1]):
        return None
    start = 1  # the key names the first session of the run, so one run is notified once
    while start + 1 < len(unmet) and unmet[start + 1]:
        start += 1
    return Risk("unmet", _l("The last two sessions did not take place, or nobody said they did."),
                f"unmet:{settled[start].id}")


def _quiet(db: Session, circle: Circle, now: datetime) -> Risk | None:
    latest = next(iter(_ended_sessions(db, circle)), None)
    since = _ended_at(latest) if latest is not None else as_utc(circle.created_at)
    if now - since < timedelta(days=QUIET_DAYS):
        return None
    return Risk("quiet", _l("No session for %(days)s days.", days=(now - since).days),
                f"quiet:{latest.id if latest is not None else 0}")


def _departures(circle: Circle, now: datetime) -> Risk | None:
    recent = [seat for seat in circle.seats
              if seat.left_at is not None and now - as_utc(seat.left_at) < RECENT_LEAVE]
    if not recent:
        return None
    # Never why they left: that reason is the leaver's own.
    if len(circle.current_seats) < 2:
        text = _l("Only one member is left; offer them a place in the next round.")
    elif len(recent) == 1:
        text = _l("A member left in the last %(days)s days.", days=RECENT_LEAVE.days)
    else:
        text = _l("%(count)s members left in the last %(days)s days.", count=len(recent),
                  days=RECENT_LEAVE.days)
    return Risk("left", text, f"left:{max(seat.id for seat in recent)}")


def risks(db: Session, circle: Circle, now: datetime) -> list[Risk]:
    """Why an open circle looks at risk (empty when it does not, or is closed)."""
    if circle.closed_at is not None:
        return []
    found = (_low_pulses(db, circle), _no_shows(db, circle), _unmet(db, circle, now),
             _quiet(db, circle, now), _departures(circle, now))
    return [risk for risk in found if risk is not None]


def at_risk(db: Session, circle: Circle, now: datetime | None = None) -> list[str]:
    """The at-risk reasons of ``circle`` in words, for its facilitators and its members."""
    return [str(risk.text) for risk in risks(db, circle, now or utcnow())]


def notify_at_risk(db: Session, circle: Circle, now: datetime | None = None) -> int:
    """Tell the community's facilitators why ``circle`` looks at risk: each reason once per
    episode (a new run of low pulses, of absences, of quiet), however often this runs."""
    found = risks(db, circle, now or utcnow())
    if not found:
        return 0
    facilitators = db.scalars(select(Membership.user_id).where(
        Membership.community_id == circle.community_id, Membership.role == "facilitator"))
    link = f"/communities/{circle.community_id}#at-risk"
    sent = 0
    for user_id in facilitators:
        for risk in found:
            text = _l("%(name)s may be at risk: %(why)s", name=circle.name, why=risk.text)
            if notify(db, user_id, "at_risk", text, link,
                      key=f"at_risk:{circle.id}:{risk.key}") is not None:
                sent += 1
    return sent


def notify_all_at_risk(db: Session, now: datetime | None = None) -> int:
    """``notify_at_risk`` for every open circle (for the periodic job and the CLI)."""
    now = now or utcnow()
    open_circles = list(db.scalars(select(Circle).where(Circle.closed_at.is_(None))))
    return sum(notify_at_risk(db, circle, now) for circle in open_circles)
