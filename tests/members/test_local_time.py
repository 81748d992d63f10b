"""Every time Circles shows a member is in their own zone with the zone named (issue 17: a
member in Berlin read "06:08 UTC" in notifications; API token times had no zone).

The scan visits every page of the authorisation matrix as each role, every role living in
another zone, and reads each clock time on the page: it must be followed by the reader's
zone ("18:00 (Berlin time)", "17:00–18:30 (Berlin time)"). Notifications and e-mails written
for one member are read the same way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from circles.extensions import orm
from circles.members.local_time import zone_name
from circles.models import (
    ApiToken,
    CircleSession,
    Notification,
    OutboxMessage,
    User,
    utcnow,
)
from circles.notify.notifications import notify
from circles.sessions.reminders import send_due_reminders
from tests.support.authz_harness import Template, client_as, copy_of, make_template
from tests.support.authz_matrix import MATRIX
from tests.support.authz_routes import url_for_rule

ZONES = {"owner": "Europe/Berlin", "peer": "America/St_Johns", "stranger": "Asia/Tokyo",
         "facilitator": "Asia/Kolkata", "other_facilitator": "America/New_York",
         "admin": "Australia/Sydney"}
CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
# A clock, or the start of a range ("17:00–18:30", "23:00 – Wed 26 Mar, 01:00"), then the zone.
NAMED = r"\d{{1,2}}:\d{{2}}(?:–\d{{2}}:\d{{2}}| – \w{{3}} \d{{2}} \w{{3}}, \d{{2}}:\d{{2}})? \({zone}\)"
EXAMPLE = re.compile(r"(e\.g\.|HH:MM)[^.]{0,12}$")  # a hint on how to type a time


def visible_text(page: str) -> str:
    """What a reader sees as times: no scripts, styles, tags or attributes, nor ``<code>``
    (format examples, such as a CSV's "Tue-Thu 12:00-13:30"); entities decoded."""
    page = re.sub(r"<(script|style|template|code)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def unnamed_clocks(text: str, zone: str) -> list[str]:
    """Each clock time in ``text`` not followed by ``zone``'s name, with what surrounds it."""
    named = re.compile(NAMED.format(zone=re.escape(zone_name(zone))))
    found = []
    for clock in CLOCK.finditer(text):
        start = clock.start()
        if EXAMPLE.search(text[max(0, start - 30):start]):
            continue
        if not named.match(text, start):
            found.append(text[max(0, start - 40):start + 40])
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Template, Flask]]:
    """The matrix's world, everyone in a zone of their own, with times of every kind: a
    reminder for a session in ten hours, notifications, logins, API tokens used."""
    template = make_template(tmp_path_factory.mktemp("times"))
    with copy_of(template, tmp_path_factory.mktemp("times-copy")) as app:
        with app.app_context():
            db = orm.session
            for role, zone in ZONES.items():
                db.get_one(User, template.world.users[role]).timezone = zone
            db.add(CircleSession(circle_id=template.world.ids["circle"], title="Soon",
                                 starts_at=utcnow() + timedelta(hours=10)))
            for token in db.scalars(select(ApiToken)):
                token.last_used_at = utcnow() - timedelta(minutes=5)
            for role in ZONES:
                notify(db, template.world.users[role], "feedback", "Something happened.")
            db.flush()
            send_due_reminders(db, utcnow())
            db.commit()
        yield template, app


GET_PAGES = sorted((endpoint, row) for (endpoint, method), row in MATRIX.items()
                   if method == "GET" and row.allow and not row.api)


@pytest.mark.parametrize(("endpoint", "row"), GET_PAGES, ids=[e for e, _ in GET_PAGES])
def test_every_page_names_the_readers_zone_beside_each_time(
        world: tuple[Template, Flask], endpoint: str, row: object) -> None:
    template, app = world
    rule = next(r for r in app.url_map.iter_rules()
                if r.endpoint == endpoint and "GET" in (r.methods or set()))
    url = url_for_rule(app, rule, template.world, row.args)  # type: ignore[attr-defined]
    for role in sorted(row.allow & set(ZONES)):  # type: ignore[attr-defined]
        response = client_as(app, template, role).get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        text = visible_text(response.get_data(as_text=True))
        assert unnamed_clocks(text, ZONES[role]) == [], (role, url)


def test_the_scan_reads_times_at_all(world: tuple[Template, Flask]) -> None:
    """The notification centre and the logins page do show times (the scan has work)."""
    template, app = world
    client = client_as(app, template, "owner")
    for page in ("/notifications", "/account/logins", "/settings/tokens"):
        text = visible_text(client.get(page).get_data(as_text=True))
        assert "(Berlin time)" in text and CLOCK.search(text), page


def test_notifications_and_e_mails_tell_each_member_their_own_time(
        world: tuple[Template, Flask]) -> None:
    """The reminder of a session in ten hours, to Ola in Berlin and Pia in St John's."""
    template, app = world
    with app.app_context():
        db = orm.session
        for role in ("owner", "peer"):
            user = db.get_one(User, template.world.users[role])
            [text] = db.scalars(select(Notification.text).where(
                Notification.user_id == user.id, Notification.kind == "upcoming_session"))
            [body] = db.scalars(select(OutboxMessage.body).where(
                OutboxMessage.to == user.email, OutboxMessage.subject.contains("session")))
            for written in (text, body):
                assert unnamed_clocks(written, ZONES[role]) == [] and CLOCK.search(written)
                assert "UTC" not in written and ZONES[role] not in written


def test_a_clock_without_its_zone_is_caught() -> None:
    """The scan itself: what it lets through and what it flags."""
    assert unnamed_clocks("Tue 25 Mar 2025, 18:00–19:30 (Berlin time)", "Europe/Berlin") == []
    assert unnamed_clocks("23:00 – Wed 26 Mar, 01:00 (Berlin time)", "Europe/Berlin") == []
    assert unnamed_clocks("From HH:MM, e.g. 09:30", "Europe/Berlin") == []
    assert unnamed_clocks("sent 06:08 UTC", "Europe/Berlin") == ["sent 06:08 UTC"]
    assert unnamed_clocks("25 Mar 2025, 17:00", "Europe/Berlin") == ["25 Mar 2025, 17:00"]
    assert unnamed_clocks("17:00 (UTC)", "Europe/Berlin") == ["17:00 (UTC)"]



def test_a_zone_is_named_with_its_city_as_the_readers_language_writes_it(app: Flask) -> None:
    """Spanish pages said "hora de Vienna": the city now comes from CLDR in the reader's
    language; English keeps the zone's own name."""
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert [zone_name(z) for z in ("Europe/Vienna", "Europe/London", "Etc/GMT+5")] == [
            "hora de Viena", "hora de Londres", "UTC−05:00"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert zone_name("Europe/Vienna") == "Vienna time"
