"""A moment as one person reads it: in their own time zone, with the zone named.

The one house format for every time Circles shows — pages (the ``local`` filter,
circles/views/dates.py), notifications and e-mails written for one member — is
``Tue 25 Mar 2025, 18:00 (Berlin time)``. A calendar date (``date``, ``short``, ``month``)
has no clock, so no zone is named.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from circles.models import as_utc

STYLES = {
    "date": "%d %b %Y",  # 25 Mar 2025
    "short": "%d %b",  # 25 Mar
    "month": "%B %Y",  # March 2025
    "time": "%d %b %Y, %H:%M",  # 25 Mar 2025, 18:00
    "session": "%a %d %b %Y, %H:%M",  # Tue 25 Mar 2025, 18:00
}
DAY_STYLES = ("date", "short", "month")
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
    """The zone as people say it: ``Berlin time``, ``St Johns time``, ``UTC``.

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
    return f"{name.rsplit('/', 1)[-1].replace('_', ' ')} time"


def local_time(moment: date | datetime | None, style: str = "time", *, zone: str | None,
               minutes: int | None = None) -> str:
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
    pattern = STYLES[style]
    if not isinstance(moment, datetime):
        return format(moment, STYLES[style if style in DAY_STYLES else "date"])
    where = zone_of(zone)
    here = as_utc(moment).astimezone(where)
    text = format(here, pattern)
    if style in DAY_STYLES:
        return text
    if minutes is not None:  # added in UTC: wall-clock sums go wrong across a DST change
        end = (as_utc(moment) + timedelta(minutes=minutes)).astimezone(where)
        text += f"–{end:%H:%M}" if end.date() == here.date() else f" – {end:%a %d %b, %H:%M}"
    return f"{text} ({zone_name(zone)})"


def clock_in(zone: str | None, text: str) -> str:
    """A wall-clock text (weekly hours, ``Tue 12:00–13:30``) with its zone named."""
    return f"{text} ({zone_name(zone)})" if text else text
