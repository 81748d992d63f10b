"""Where a session happens: a video-call link, a room or address, or both.

Mentoring happens "virtual, in person or by phone or video", so both are optional and free:
the link is any http(s) address (a self-hosted Jitsi, Zoom, Teams …), the room or address a
line of text. A site that runs its own Jitsi-style service sets ``VIDEO_ROOM_BASE_URL``, and
"Create a video room" makes an unguessable link ``<base>/<circle-slug>-<random>`` there.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from circles.models import CircleSession
from circles.models.sessions import LOCATION_MAX, VIDEO_URL_MAX

BAD_LINK = _l("Give a web address starting with https://")
LONG_LINK = _l("Keep the link under %(max)s characters; shorten it or paste the room's own link.",
               max=VIDEO_URL_MAX)
BOTH_LINKS = _l("Paste a link or create a video room, not both.")
NO_ROOMS = _l("This site has no video service of its own: paste a link instead.")
SLUG_MAX = 40
#: Anything that would end a URL early or hide in it: spaces, controls, quotes, angle brackets.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\`{}|^]")


def checked_video_url(value: str) -> str:
    """The link as given (trimmed), or "" for none; raises ValueError with the message."""
    link = value.strip()
    if not link:
        return ""
    if len(link) > VIDEO_URL_MAX:
        raise ValueError(str(LONG_LINK))
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValueError(str(BAD_LINK)) from None
    # user:password@ before the host only serves to disguise where a link leads
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.username is not None or _UNSAFE.search(link)):
        raise ValueError(str(BAD_LINK))
    return link


def checked_location(value: str) -> str:
    """The room or address on one line, or "" for none; raises ValueError when too long."""
    text = " ".join(value.split())
    if len(text) > LOCATION_MAX:
        raise ValueError(f"Keep the room or address under {LOCATION_MAX} characters "
                         f"(it has {len(text)}).")
    return text


def slug(name: str) -> str:
    """``Round 1 · Circle 8`` → ``round-1-circle-8``: letters and digits of the name only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return words[:SLUG_MAX].strip("-") or "circle"


def video_room(base_url: str, circle_name: str) -> str:
    """A new room on the site's video service: 96 random bits after the circle's slug."""
    return f"{base_url.rstrip('/')}/{slug(circle_name)}-{secrets.token_hex(12)}"


def checked_place(errors: dict[str, str], *, video_url: str, location: str,
                  create_room: bool = False, room_base: str = "",
                  circle_name: str = "") -> tuple[str, str]:
    """``(video_url, location)`` as stored, collecting each problem under its field."""
    try:
        link = checked_video_url(video_url)
    except ValueError as exc:
        errors["video_url"], link = str(exc), ""
    if create_room and link:
        errors["video_url"] = str(BOTH_LINKS)
    elif create_room and not room_base:
        errors["video_url"] = str(NO_ROOMS)
    elif create_room:
        link = video_room(room_base, circle_name)
    try:
        where = checked_location(location)
    except ValueError as exc:
        errors["location"], where = str(exc), ""
    return link, where


def place_phrase(session: CircleSession) -> str:
    """The place in a few words after a sentence (", in Room 4 and by video call"); the link
    itself is in the e-mail and on the circle page."""
    if session.location and session.video_url:
        return str(_(", in %(place)s and by video call", place=session.location))
    if session.location:
        return str(_(", in %(place)s", place=session.location))
    return _(", by video call") if session.video_url else ""


def place_lines(session: CircleSession) -> list[str]:
    """The place in words, one line each, for e-mails and calendar descriptions."""
    return [line for line in (
        _("Video call: %(link)s", link=session.video_url) if session.video_url else "",
        _("Where: %(place)s", place=session.location) if session.location else "") if line]


def place_text(session: CircleSession) -> str:
    """``place_lines`` as the lines of an e-mail (``LazyString(place_text, session)`` writes
    them in the recipient's language)."""
    return "\n".join(place_lines(session))


def ics_location(session: CircleSession) -> str:
    """An .ics LOCATION: the room or address, or the link when that is all there is."""
    return session.location or session.video_url
