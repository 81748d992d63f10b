"""Dates and times on pages, one way: the ``local`` Jinja filter shows a moment in the
viewer's own time zone (a logged-in member's zone, else UTC), in one of a few styles."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from circles.models import as_utc

STYLES = {
    "date": "%d %b %Y",  # 25 Mar 2025
    "short": "%d %b",  # 25 Mar
    "month": "%B %Y",  # March 2025
    "time": "%d %b %Y, %H:%M",  # 25 Mar 2025, 18:00
    "session": "%a %d %b %Y, %H:%M",  # Tue 25 Mar 2025, 18:00
}
DAY_STYLES = ("date", "short", "month")


def viewer_zone() -> str:
    """The zone of whoever is looking: the member's own, or UTC for a visitor."""
    zone = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return zone or "UTC"


def local(moment: date | datetime | None, style: str = "time", *, zone: str | None = None,
          minutes: int | None = None) -> str:
    """``moment`` in ``zone`` (default: the viewer's) in ``style``; with ``minutes``, the end
    time too (``Tue 25 Mar 2025, 18:00–19:30``). A calendar date is shown as it is.

    Raises ``KeyError`` for an unknown style.
    """
    if moment is None:
        return ""
    pattern = STYLES[style]
    if not isinstance(moment, datetime):
        return format(moment, STYLES[style if style in DAY_STYLES else "date"])
    where = ZoneInfo(zone or viewer_zone())
    here = as_utc(moment).astimezone(where)
    text = format(here, pattern)
    if minutes is not None:  # added in UTC: wall-clock sums go wrong across a DST change
        end = (as_utc(moment) + timedelta(minutes=minutes)).astimezone(where)
        text += f"–{end:%H:%M}" if end.date() == here.date() else f" – {end:%a %d %b, %H:%M}"
    return text


def init_app(app: Flask) -> None:
    app.add_template_filter(local, "local")
