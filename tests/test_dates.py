"""The one way pages show a moment: the ``local`` filter, in the viewer's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask, render_template_string
from sqlalchemy import select

from circles.models import Notification
from circles.views.dates import local

MOMENT = datetime(2025, 3, 25, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("moment", "style", "zone", "minutes", "shown"), [
    (MOMENT, "time", "UTC", None, "25 Mar 2025, 17:00 (UTC)"),
    (MOMENT, "time", "Asia/Kolkata", None, "25 Mar 2025, 22:30 (Kolkata time)"),  # half-hour
    (MOMENT, "date", "Pacific/Kiritimati", None, "26 Mar 2025"),  # +14: already tomorrow
    (MOMENT, "session", "Europe/London", 90, "Tue 25 Mar 2025, 17:00–18:30 (London time)"),
    (datetime(2025, 3, 30, 0, 30), "session", "Europe/London", 60,  # naive = UTC; DST starts
     "Sun 30 Mar 2025, 00:30–02:30 (London time)"),
    (MOMENT, "session", "America/St_Johns", 600,
     "Tue 25 Mar 2025, 14:30 – Wed 26 Mar, 00:30 (St Johns time)"),
    (MOMENT, "time", "Etc/GMT+5", None, "25 Mar 2025, 12:00 (UTC−05:00)"),
    (MOMENT, "time", "Mars/Olympus", None, "25 Mar 2025, 17:00 (UTC)"),  # unknown: UTC
    (date(2025, 3, 25), "time", "Asia/Tokyo", None, "25 Mar 2025"),  # a date stays that date
    (date(2025, 3, 25), "month", "UTC", None, "March 2025"),
    (None, "date", "UTC", None, ""),
])
def test_local_shows_a_moment_in_the_zone(moment: Any, style: str, zone: str,
                                          minutes: int | None, shown: str) -> None:
    assert local(moment, style, zone=zone, minutes=minutes) == shown


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(KeyError):
        local(MOMENT, "fancy", zone="UTC")


def test_pages_use_the_viewers_zone(app: Flask, make_user: Any, auth: Any,
                                    client: Any) -> None:
    """A visitor's page shows UTC; a member's notification centre shows their own zone."""
    with app.test_request_context():
        assert render_template_string("{{ m|local }}", m=MOMENT) == "25 Mar 2025, 17:00 (UTC)"
    member = make_user(timezone="Asia/Kolkata")
    with app.app_context():
        from circles.extensions import orm
        from circles.notify.notifications import notify

        notify(orm.session(), member.id, "upcoming_session", "Session soon")
        row = orm.session.scalar(select(Notification).where(Notification.user_id == member.id))
        assert row is not None
        row.created_at = MOMENT
        orm.session.commit()
    auth.login(member.email)
    page = client.get("/notifications").get_data(as_text=True)
    assert ">25 Mar 2025, 22:30 (Kolkata time)<" in page and ", 17:00" not in page
