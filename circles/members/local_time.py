"""A moment as one person reads it: in their own time zone, with the zone named.

The one house format for every time Circles shows — pages (the ``local`` filter,
circles/views/dates.py), notifications and e-mails written for one member — is
``Tue 25 Mar 2025, 18:00 (Berlin time)``. A calendar date (``date``, ``short``, ``month``)
has no clock, so no zone is named.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, get_timezone_location
from flask_babel import gettext as _

from circles.languages import DEFAULT, current_language
from circles.models import as_utc

STYLES = {
    "date": "%d %b %Y",  # 25 Mar 2025
    "short": "%d %b",  # 25 Mar
    "month": "%B %Y",  # March 2025
    "time": "%d %b %Y, %H:%M",  # 25 Mar 2025, 18:00
    "session": "%a %d %b %Y, %H:%M",  # Tue 25 Mar 2025, 18:00
    "day": "%a %d %b",  # Tue 25 Mar
}
#: The same styles for other languages, as CLDR patterns (Babel), in the order people there
#: write them: ``mar 25 mar 2025, 18:00`` in Spanish.
PATTERNS = {
    "es": {"date": "d MMM y", "short": "d MMM", "month": "LLLL 'de' y",
           "time": "d MMM y, HH:mm", "session": "EEE d MMM y, HH:mm", "end": "EEE d MMM, HH:mm",
           "day": "EEE d MMM"},
}
DAY_STYLES = ("date", "short", "month", "day")
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal",
                       "Etc/Zulu", "Zulu", "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0",
                       "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Etc/Greenwich", "Greenwich"})


def zone_of(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC for an empty or unknown name (never an error on a page)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_name(name: str | None) -> str:
    """The zone as people say it: ``Berlin time``, ``St Johns time``, ``UTC``; in another
    language with the city as it is written there (``hora de Viena``).

    >>> zone_name("Europe/Berlin"), zone_name("America/Argentina/Buenos_Aires")
    ('Berlin time', 'Buenos Aires time')
    >>> zone_name("Etc/UTC"), zone_name("Etc/GMT+5"), zone_name(""), zone_name("Mars/Olympus")
    ('UTC', 'UTC−05:00', 'UTC', 'UTC')
    """
    name = name or "UTC"
    if name in UTC_NAMES or zone_of(name).key != name:  # an unknown zone is shown as UTC
        return "UTC"
    if name.startswith("Etc/"):  # fixed offsets, e.g. Etc/GMT+5 is five hours *behind* UTC
        offset = datetime(2025, 1, 1, tzinfo=zone_of(name)).utcoffset() or timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    language = current_language()
    city = (name.rsplit('/', 1)[-1].replace('_', ' ') if language == DEFAULT
            else _city(name, language))
    return str(_("%(city)s time", city=city))


@functools.cache
def _city(zone: str, language: str) -> str:
    """The zone's city as ``language`` writes it (CLDR, through Babel): ``Viena``, ``Londres``."""
    return str(get_timezone_location(zone, locale=language, return_city=True))


def _format(moment: date | datetime, style: str, language: str) -> str:
    """``moment`` (already in its zone) in ``style``, written as ``language`` writes dates."""
    patterns = PATTERNS.get(language)
    if patterns is None:
        return format(moment, STYLES.get(style, "%a %d %b, %H:%M"))
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return str(format_datetime(moment, patterns[style], locale=language))


def local_time(moment: date | datetime | None, style: str = "time", *, zone: str | None,
               minutes: int | None = None, language: str = "en") -> str:
    """``moment`` in ``zone`` in ``style``, the zone named; with ``minutes``, the end time
    too (``Tue 25 Mar 2025, 18:00–19:30 (London time)``). A calendar date is shown as it is,
    and a day style shows no zone.

    Raises ``KeyError`` for an unknown style.

    >>> from datetime import UTC
    >>> local_time(datetime(2025, 12, 5, 6, 8, tzinfo=UTC), "session", zone="Europe/Berlin")
    'Fri 05 Dec 2025, 07:08 (Berlin time)'
    """
    if moment is None:
        return ""
    STYLES[style]  # an unknown style is a KeyError in every language
    if not isinstance(moment, datetime):
        return _format(moment, style if style in DAY_STYLES else "date", language)
    where = zone_of(zone)
    here = as_utc(moment).astimezone(where)
    text = _format(here, style, language)
    if style in DAY_STYLES:
        return text
    if minutes is not None:  # added in UTC: wall-clock sums go wrong across a DST change
        end = (as_utc(moment) + timedelta(minutes=minutes)).astimezone(where)
        text += f"–{end:%H:%M}" if end.date() == here.date() else f" – {_format(end, 'end', language)}"
    return f"{text} ({zone_name(zone)})"


def clock_in(zone: str | None, text: str) -> str:
    """A wall-clock text (weekly hours, ``Tue 12:00–13:30``) with its zone named."""
    return f"{text} ({zone_name(zone)})" if text else text
