"""iCalendar files of sessions, and the capability token of each member's calendar feed.

A feed URL must work without logging in (calendar apps fetch it on their own), so the URL
itself is the credential: ``<user id>-<HMAC(SECRET_KEY, user id, nonce)>``. Only the nonce
is stored; a new nonce retires every old URL, and a changed SECRET_KEY retires them all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from circles.languages import term
from circles.models import CircleSession, User, as_utc
from circles.sessions.places import ics_location, place_lines
from circles.sessions.roles import in_order

PRODID = "-//Circles//Co-mentoring sessions//EN"


def _signature(secret: str, user_id: int, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"calendar-feed:{user_id}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def reset_feed(db: Session, user: User) -> None:
    """Give the member a new feed URL; the old one stops working at once."""
    user.calendar_nonce = secrets.token_urlsafe(24)
    db.flush()


def feed_token(secret: str, user: User) -> str | None:
    """The token of the member's current feed URL, or None before they asked for one."""
    if user.calendar_nonce is None:
        return None
    return f"{user.id}-{_signature(secret, user.id, user.calendar_nonce)}"


def feed_owner(db: Session, secret: str, token: str) -> User | None:
    """Whose feed ``token`` opens, or None for a retired, forged or malformed token."""
    user_part, _dash, signature = token.partition("-")
    if not user_part.isdigit() or not signature or len(user_part) > 12:
        return None
    user = db.get(User, int(user_part))
    if user is None or not user.is_active or user.calendar_nonce is None:
        return None
    expected = _signature(secret, user.id, user.calendar_nonce)
    return user if hmac.compare_digest(expected.encode(), signature.encode()) else None


def session_event(session: CircleSession, *, host: str, circle_url: str,
                  stamp: datetime) -> Event:
    """One VEVENT (its words in the language of the request, or of the ``force_locale``
    around it: the feed's owner's): stable UID, UTC times, SEQUENCE and STATUS follow the session; LOCATION
    is its room or address (or its link, when that is all), URL its video-call link."""
    event = Event()
    event.add("uid", f"circles-session-{session.id}@{host}")
    event.add("dtstamp", as_utc(stamp))
    start = as_utc(session.starts_at)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=session.duration_minutes))
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
    circle = session.circle
    event.add("summary", f"{circle.name}: {session.title}" if session.title else circle.name)
    # Names of circle-mates are shared inside the circle anyway; nothing else is written.
    roles = [_("%(role)s: %(name)s", role=term(r.role).capitalize(),
               name=r.user.display_name if r.user else _("vacant")) for r in in_order(session)]
    event.add("description", "\n".join([*place_lines(session), *roles, "",
                                         _("Circle page: %(url)s", url=circle_url)]))
    if ics_location(session):  # icalendar escapes commas, semicolons and newlines of TEXT
        event.add("location", ics_location(session))
    event.add("url", session.video_url or circle_url)
    return event


def calendar(sessions: Iterable[CircleSession], *, name: str, host: str,
             circle_url: Callable[[int], str], stamp: datetime) -> bytes:
    """A VCALENDAR of ``sessions``, serialised (CRLF line endings, folded lines)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for session in sessions:
        cal.add_component(session_event(session, host=host, circle_url=circle_url(session.circle_id),
                                        stamp=stamp))
    data: bytes = cal.to_ical()
    return data
