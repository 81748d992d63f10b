"""Scheduling a circle's sessions: one-off or on a cadence that keeps the local wall-clock time.

Times are entered in an IANA zone and stored in UTC. A series keeps the *local* time, so a
weekly 18:00 in Berlin stays 18:00 in Berlin across the change to summer time (and moves in
UTC). A local time that falls in a daylight-saving gap does not exist and is refused; one
that occurs twice (clocks going back) means its first occurrence.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import CircleClosed, Conflict, InvalidInput, NotFound, SessionCancelled
from circles.languages import current_language
from circles.members.local_time import local_time
from circles.members.profiles import check_timezone
from circles.models import Circle, CircleMember, CircleSession, SessionSeries, User, as_utc, utcnow
from circles.models.sessions import CADENCES
from circles.sessions.formats import assign_focus_people, checked_format
from circles.sessions.places import checked_place
from circles.sessions.roles import assign_roles, clear_swaps

DURATION_MIN, DURATION_MAX = 15, 480
COUNT_MAX = 26
TITLE_MAX = 120
HORIZON_DAYS = 2 * 366  # how far ahead a first session may be planned



def ends_at(session: CircleSession) -> datetime:
    return as_utc(session.starts_at) + timedelta(minutes=session.duration_minutes)


def is_upcoming(session: CircleSession, now: datetime) -> bool:
    """Live, or not over yet and not ended (cancelled ones stay listed, marked cancelled)."""
    return session.status == "live" or (session.status != "ended" and ends_at(session) > now)


def is_changeable(session: CircleSession, now: datetime) -> bool:
    """Time, status and roles of a session may change only while it is planned and ahead."""
    return session.status == "scheduled" and as_utc(session.starts_at) > now


def member_circle(db: Session, user: User, circle_id: int) -> Circle:
    """An open circle the user sits in now, to plan in; its members are told when it has
    closed (CircleClosed), anyone else finds nothing."""
    circle = db.get(Circle, circle_id)
    if circle is None or not any(seat.user_id == user.id for seat in circle.current_seats):
        raise NotFound("circle")
    if circle.closed_at is not None:
        raise CircleClosed(circle.id)
    return circle


def session_for_member(db: Session, user: User, session_id: int) -> CircleSession:
    """A session of a circle the user sits in now (closed circles included, to read)."""
    session = db.get(CircleSession, session_id)
    if session is None or not any(
        seat.user_id == user.id for seat in session.circle.current_seats
    ):
        raise NotFound("session")
    return session


def session_to_join(db: Session, user: User, session_id: int) -> CircleSession:
    """A session whose live room the user may open: live, ahead, or ended (to read its
    summary). One called off is refused with why: its circle closed (CircleClosed) or it was
    cancelled (SessionCancelled); a non-member finds nothing."""
    session = session_for_member(db, user, session_id)
    if session.circle.closed_at is not None and session.status in ("scheduled", "cancelled"):
        raise CircleClosed(session.circle_id, session.id)
    if session.status == "cancelled":
        raise SessionCancelled(session.circle_id, session.id)
    return session


def _local_start(errors: dict[str, str], day: str, clock: str, timezone: str) -> datetime | None:
    """Parse date, time and zone into an aware local datetime, collecting field errors."""
    try:
        check_timezone(timezone)
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        parsed_day: date | None = date.fromisoformat(day.strip())
    except ValueError:
        parsed_day = None
        errors["date"] = _("Enter the date as YYYY-MM-DD, e.g. 2025-03-27.")
    try:
        parsed_time: time | None = time.fromisoformat(clock.strip())
        if parsed_time is not None and (parsed_time.second or parsed_time.microsecond
                                        or parsed_time.tzinfo is not None):
            raise ValueError(clock)
    except ValueError:
        parsed_time = None
        errors["time"] = _("Enter the time as HH:MM on a 24-hour clock, e.g. 18:30.")
    if parsed_day is None or parsed_time is None or "timezone" in errors:
        return None
    return datetime.combine(parsed_day, parsed_time, ZoneInfo(timezone))


def _day(local: datetime) -> str:
    """The wall-clock day of ``local`` as the reader writes dates (``27 Mar 2025``)."""
    return local_time(local.date(), "date", zone=None, language=current_language())


def _check_exists(local: datetime) -> None:
    """Refuse a wall-clock time skipped by a daylight-saving change (e.g. 02:30 in spring)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput.field(
            "time", _("%(time)s does not exist on %(day)s in %(zone)s: the clocks go forward "
                      "then. Choose another time.", time=f"{local:%H:%M}",
                      day=_day(local),
                      zone=str(local.tzinfo)))


def _occurrence(first: datetime, cadence: str | None, n: int) -> datetime:
    """The n-th local start of a cadence; a monthly series keeps the day of the month, or
    the month's last day when it is shorter (31 Jan → 28 Feb → 31 Mar)."""
    if cadence is None or n == 0:
        return first
    if cadence in ("weekly", "fortnightly"):
        return first + timedelta(weeks=n * (1 if cadence == "weekly" else 2))
    month_index = first.month - 1 + n
    year, month = first.year + month_index // 12, month_index % 12 + 1
    day = min(first.day, calendar.monthrange(year, month)[1])
    return first.replace(year=year, month=month, day=day)


def _checked_fields(errors: dict[str, str], *, duration_minutes: int | None,
                    title: str) -> tuple[int, str]:
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(max)s characters (it has %(count)s).",
                            max=TITLE_MAX, count=len(title))
    if duration_minutes is None:
        errors["duration_minutes"] = _("Choose how many minutes the session lasts: %(low)s to "
                                       "%(high)s.", low=DURATION_MIN, high=DURATION_MAX)
    elif not DURATION_MIN <= duration_minutes <= DURATION_MAX:
        errors["duration_minutes"] = _("A session lasts %(low)s to %(high)s minutes (8 hours).",
                                       low=DURATION_MIN, high=DURATION_MAX)
    return duration_minutes or 0, title


def _checked_start(errors: dict[str, str], day: str, clock: str, timezone: str,
                   now: datetime) -> datetime | None:
    local = _local_start(errors, day, clock, timezone)
    if local is None:
        return None
    if local.astimezone(UTC) <= now:
        errors["date"] = _("%(when)s in %(zone)s has already passed; choose a time ahead.",
                           when=f"{_day(local)} {local:%H:%M}", zone=timezone)
    elif local.astimezone(UTC) > now + timedelta(days=HORIZON_DAYS):
        errors["date"] = _("Plan sessions at most two years ahead.")
    return local


def schedule(db: Session, circle: Circle, user: User, *, date: str, time: str, timezone: str,
             duration_minutes: int | None, title: str = "", cadence: str | None = None,
             count: int | None = 1, video_url: str = "", location: str = "",
             create_room: bool = False, room_base: str = "", format: str | None = None,
             now: datetime | None = None) -> list[CircleSession]:
    """Plan one session, or ``count`` sessions on a cadence, and give each its rotating roles
    (and, for a clearness committee, its focus person). Every session of a series runs in
    the same ``format`` (circles/live/formats.py).

    ``date`` and ``time`` are the local wall-clock start in ``timezone``, as typed. Every
    session of a series meets at the same place (one video room for all of them).
    ``create_room`` makes a room on the site's video service at ``room_base``.
    """
    now = now or utcnow()
    circle = member_circle(db, user, circle.id)
    errors: dict[str, str] = {}
    duration, title = _checked_fields(errors, duration_minutes=duration_minutes, title=title)
    video_url, location = checked_place(errors, video_url=video_url, location=location,
                                        create_room=create_room, room_base=room_base,
                                        circle_name=circle.name)
    chosen_format = checked_format(errors, format)
    cadence = cadence or None
    if cadence is not None and cadence not in CADENCES:
        errors["cadence"] = _("Choose how it repeats: weekly, fortnightly or monthly.")
    elif cadence is not None and (count is None or not 2 <= count <= COUNT_MAX):
        errors["count"] = _("A series has 2 to %(max)s sessions.", max=COUNT_MAX)
    elif cadence is None and count not in (None, 1):
        errors["count"] = _("A one-off session happens once; choose how it repeats to plan "
                            "more.")
    local = _checked_start(errors, date, time, timezone, now)
    occurrences = 1 if cadence is None or "count" in errors else int(count or 1)
    starts = [] if local is None else [_occurrence(local, cadence, n) for n in range(occurrences)]
    for start in starts:
        try:
            _check_exists(start)
        except InvalidInput as exc:
            errors.setdefault("time", exc.errors["time"])
    if errors:
        raise InvalidInput(errors)

    series = None
    if cadence is not None:
        series = SessionSeries(circle_id=circle.id, cadence=cadence, timezone=timezone,
                               created_by_id=user.id)
        db.add(series)
        db.flush()
    sessions = [
        CircleSession(circle_id=circle.id, circle=circle, series_id=series.id if series else None,
                      title=title, starts_at=start.astimezone(UTC), duration_minutes=duration,
                      status="scheduled", created_by_id=user.id, video_url=video_url,
                      location=location, format=chosen_format)
        for start in starts
    ]
    db.add_all(sessions)
    db.flush()
    assign_roles(db, circle, sessions)
    assign_focus_people(db, circle, sessions)
    return sessions


def reschedule(db: Session, session: CircleSession, user: User, *, date: str, time: str,
               timezone: str, duration_minutes: int | None, video_url: str | None = None,
               location: str | None = None, create_room: bool = False, room_base: str = "",
               now: datetime | None = None) -> CircleSession:
    """Move one planned session, or change its place (None keeps it); calendars see a new
    SEQUENCE. Roles stay as they are."""
    now = now or utcnow()
    session = session_for_member(db, user, session.id)
    if not is_changeable(session, now):
        raise Conflict(_("Only a planned session that has not started yet can be moved."))
    errors: dict[str, str] = {}
    duration, _title = _checked_fields(errors, duration_minutes=duration_minutes, title="")
    place = checked_place(
        errors, video_url=session.video_url if video_url is None else video_url,
        location=session.location if location is None else location,
        create_room=create_room, room_base=room_base, circle_name=session.circle.name)
    local = _checked_start(errors, date, time, timezone, now)
    if local is not None and not errors:
        try:
            _check_exists(local)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors or local is None:
        raise InvalidInput(errors)
    session.starts_at = local.astimezone(UTC)
    session.duration_minutes = duration
    session.video_url, session.location = place
    session.sequence += 1
    db.flush()
    return session


def cancel(db: Session, session: CircleSession, user: User,
           now: datetime | None = None) -> CircleSession:
    """Call off a planned session; it stays listed (and in calendars) as cancelled."""
    now = now or utcnow()
    session = session_for_member(db, user, session.id)
    if session.status == "cancelled":
        raise Conflict(_("This session is already cancelled."))
    if not is_changeable(session, now):
        raise Conflict(_("Only a planned session that has not started yet can be cancelled."))
    session.status = "cancelled"
    session.sequence += 1
    for role in session.roles:
        clear_swaps(db, role)
    db.flush()
    return session


def _sessions_of(db: Session, circle_ids: list[int]) -> list[CircleSession]:
    return list(db.scalars(
        select(CircleSession).where(CircleSession.circle_id.in_(circle_ids))
        .order_by(CircleSession.starts_at, CircleSession.id)
    ))


def upcoming(db: Session, circle: Circle, now: datetime | None = None) -> list[CircleSession]:
    """Sessions still ahead or running, soonest first (cancelled ones included, marked)."""
    now = now or utcnow()
    return [s for s in _sessions_of(db, [circle.id]) if is_upcoming(s, now)]


def past(db: Session, circle: Circle, now: datetime | None = None) -> list[CircleSession]:
    """Sessions that are over, latest first."""
    now = now or utcnow()
    return [s for s in reversed(_sessions_of(db, [circle.id])) if not is_upcoming(s, now)]


def feed_sessions(db: Session, user: User, *, since: datetime,
                  now: datetime | None = None) -> list[CircleSession]:
    """Sessions of the circles the user sits in now that end after ``since``, for a feed. A
    cancelled session stays (as cancelled, so calendars take it off) until its time has
    passed, then drops out."""
    now = now or utcnow()
    circle_ids = list(db.scalars(select(CircleMember.circle_id).where(
        CircleMember.user_id == user.id, CircleMember.left_at.is_(None))))
    return [s for s in _sessions_of(db, circle_ids)
            if ends_at(s) > (now if s.status == "cancelled" else since)]
