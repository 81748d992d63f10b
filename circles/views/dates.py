"""Dates and times on pages, one way: the ``local`` Jinja filter shows a moment in the
viewer's own time zone (a logged-in member's zone, else UTC), the zone named, in the house
format of circles/members/local_time.py."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_login import current_user

from circles.languages import current_language
from circles.members.local_time import clock_in, local_time, zone_name


def viewer_zone() -> str:
    """The zone of whoever is looking: the member's own, or UTC for a visitor."""
    zone = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return zone or "UTC"


def local(moment: date | datetime | None, style: str = "time", *, zone: str | None = None,
          minutes: int | None = None) -> str:
    """``moment`` in ``zone`` (default: the viewer's) in ``style``, the zone named; with
    ``minutes``, the end time too (``Tue 25 Mar 2025, 18:00–19:30 (London time)``).

    Raises ``KeyError`` for an unknown style.
    """
    return local_time(moment, style, zone=zone or viewer_zone(), minutes=minutes,
                      language=current_language())


def init_app(app: Flask) -> None:
    app.add_template_filter(local, "local")
    # Weekly hours and other wall-clock texts already in the viewer's zone, with it named.
    app.add_template_filter(lambda text: clock_in(viewer_zone(), text), "in_my_zone")
    app.add_template_global(lambda: zone_name(viewer_zone()), "my_zone_name")
