"""Session pages: planning form, circle page section, role buttons, .ics files and the feed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from circles.extensions import orm
from circles.models import CircleSession, SessionRole
from tests.conftest import AuthActions, post_form


@dataclass
class Cast:
    ids: dict[str, int]
    emails: dict[str, str]
    trio: int  # Ana (Berlin), Ben (New York), Cy (UTC)
    pair: int  # Ana and Dee
    elsewhere: int  # Ola and Pia, in another community


@pytest.fixture
def cast(make_user: Any, make_community: Any, make_circle: Any) -> Cast:
    zones = {"fay": "UTC", "ana": "Europe/Berlin", "ben": "America/New_York", "cy": "UTC",
             "dee": "Asia/Tokyo", "mo": "UTC", "ola": "UTC", "pia": "UTC"}
    users = {k: make_user(display_name=k.capitalize(), timezone=z) for k, z in zones.items()}
    community = make_community(users["fay"], members=[users[k] for k in
                                                      ("ana", "ben", "cy", "dee", "mo")])
    other = make_community(users["ola"], name="Elsewhere", members=[users["pia"]])
    trio = make_circle(community, [users["ana"], users["ben"], users["cy"]], name="Trio")
    pair = make_circle(community, [users["ana"], users["dee"]], name="Pair")
    elsewhere = make_circle(other, [users["ola"], users["pia"]], name="Far away")
    return Cast({k: u.id for k, u in users.items()}, {k: u.email for k, u in users.items()},
                trio.id, pair.id, elsewhere.id)


def ahead(days: int = 10) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


def plan(client: FlaskClient, circle_id: int, **fields: Any) -> Any:
    data = {"date": ahead().isoformat(), "time": "18:00", "timezone": "Europe/Berlin",
            "duration_minutes": "90", "title": "", "cadence": "", "count": "1", **fields}
    return post_form(client, f"/circles/{circle_id}/sessions/new", data)


def sessions_of(app: Flask, circle_id: int) -> list[CircleSession]:
    with app.app_context():
        rows = list(orm.session.scalars(select(CircleSession).where(
            CircleSession.circle_id == circle_id).order_by(CircleSession.starts_at)))
        for row in rows:
            _ = [r.user_id for r in row.roles]
        orm.session.expunge_all()
        return rows


def roles_of(app: Flask, session_id: int) -> dict[str, int | None]:
    with app.app_context():
        return {r.role: r.user_id for r in orm.session.scalars(
            select(SessionRole).where(SessionRole.session_id == session_id))}


def log_out(client: FlaskClient, auth: AuthActions) -> None:
    if "Log out" in client.get("/").get_data(as_text=True):
        auth.logout()


def as_(client: FlaskClient, auth: AuthActions, cast: Cast, who: str) -> None:
    log_out(client, auth)
    assert auth.login(cast.emails[who]).status_code == 302


def ics_events(body: bytes) -> list[Any]:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_plan_a_series_and_see_it_in_each_viewers_own_zone(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    form = client.get(f"/circles/{cast.trio}/sessions/new").get_data(as_text=True)
    assert '<option selected value="Europe/Berlin">' in form  # the member's own zone
    response = plan(client, cast.trio, cadence="weekly", count="3", title="Kick-off")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/circles/{cast.trio}#sessions")
    first = sessions_of(app, cast.trio)[0]
    assert len(sessions_of(app, cast.trio)) == 3
    start = first.starts_at.replace(tzinfo=UTC)
    assert start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "18:00"

    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    assert "Times are shown in your time zone, Europe/Berlin" in page
    assert f"{start.astimezone(ZoneInfo('Europe/Berlin')):%a %d %b %Y}, 18:00–19:30" in page
    assert "Kick-off" in page and "Facilitator" in page and "Note-taker" in page
    assert page.count("Add to calendar (.ics)") == 3

    as_(client, auth, cast, "ben")
    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    new_york = start.astimezone(ZoneInfo("America/New_York"))
    assert "Times are shown in your time zone, America/New_York" in page
    assert f"{new_york:%a %d %b %Y, %H:%M}–" in page
    assert "Ana <span class=\"badge\">" not in page  # Ben sees Ana's name without a "you"


def test_bad_input_is_explained_next_to_each_field_and_nothing_is_saved(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    response = plan(client, cast.trio, date="31/12", time="25:00", timezone="Nowhere/City",
                    duration_minutes="5", title="t" * 130)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Enter the date as YYYY-MM-DD", "Enter the time as HH:MM",
                    "&#39;Nowhere/City&#39; is not a time zone we know",
                    "A session lasts 15 to 480 minutes", "Keep the title under 120 characters"):
        assert message in html
    assert html.count('aria-invalid="true"') == 5
    assert 'value="t' in html  # what was typed is kept
    response = plan(client, cast.trio, cadence="weekly", count="40")
    assert response.status_code == 422
    assert "A series has 2 to 26 sessions" in response.get_data(as_text=True)
    response = plan(client, cast.trio, duration_minutes="an hour")
    assert response.status_code == 422
    assert sessions_of(app, cast.trio) == []


# who → expected status for pages and actions on the trio's session
PEOPLE = [("ana", 200), ("mo", 404), ("fay", 404), ("ola", 404), ("anonymous", "login")]


@pytest.mark.parametrize(("who", "expected"), PEOPLE, ids=[p for p, _ in PEOPLE])
def test_only_the_circles_members_reach_its_sessions(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast, who: str,
        expected: int | str) -> None:
    as_(client, auth, cast, "ben")
    assert plan(client, cast.trio).status_code == 302
    session = sessions_of(app, cast.trio)[0]
    log_out(client, auth)
    if who != "anonymous":
        auth.login(cast.emails[who])
    urls = [("GET", f"/circles/{cast.trio}/sessions/new"), ("GET", f"/sessions/{session.id}.ics"),
            ("GET", f"/sessions/{session.id}/reschedule"),
            ("POST", f"/sessions/{session.id}/roles/note_taker/release"),
            ("POST", f"/sessions/{session.id}/cancel")]
    for method, url in urls:
        response = (client.get(url) if method == "GET"
                    else post_form(client, url, {}, page="/login" if who == "anonymous" else "/"))
        if expected == "login":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        elif method == "POST":  # members are sent back to the circle page
            assert response.status_code == (302 if expected == 200 else expected), url
        else:
            assert response.status_code == expected, url
    after = sessions_of(app, cast.trio)[0]
    assert (after.status == "cancelled") == (who == "ana")


def test_ics_of_a_session(app: Flask, client: FlaskClient, auth: AuthActions,
                          cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    plan(client, cast.trio, title="Kick-off")
    session = sessions_of(app, cast.trio)[0]
    response = client.get(f"/sessions/{session.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    (event,) = ics_events(response.data)
    assert event["UID"] == f"circles-session-{session.id}@localhost"
    assert event.decoded("DTSTART") == session.starts_at.replace(tzinfo=UTC)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert b"DTSTART:" in response.data and b"Z\r\n" in response.data  # UTC form, no TZID
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert (str(event["SUMMARY"]), str(event["STATUS"]), event["SEQUENCE"]) == (
        "Trio: Kick-off", "CONFIRMED", 0)
    assert str(event["URL"]) == f"http://localhost/circles/{cast.trio}"
    assert "Facilitator: Ana" in str(event["DESCRIPTION"])

    moved = ahead(12)
    response = post_form(client, f"/sessions/{session.id}/reschedule",
                         {"date": moved.isoformat(), "time": "07:15", "timezone": "UTC",
                          "duration_minutes": "60"})
    assert response.status_code == 302
    assert post_form(client, f"/sessions/{session.id}/cancel", {},
                     page=f"/circles/{cast.trio}").status_code == 302
    (event,) = ics_events(client.get(f"/sessions/{session.id}.ics").data)
    assert event["UID"] == f"circles-session-{session.id}@localhost"  # stable
    assert event.decoded("DTSTART") == datetime.combine(moved, datetime.min.time(), UTC).replace(
        hour=7, minute=15)
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 2)

    # Another circle's session is not found, nor is one that does not exist.
    as_(client, auth, cast, "ola")
    plan(client, cast.elsewhere)
    far = sessions_of(app, cast.elsewhere)[0]
    as_(client, auth, cast, "ana")
    assert client.get(f"/sessions/{far.id}.ics").status_code == 404
    assert client.get(f"/sessions/{far.id + 100}.ics").status_code == 404


def feed_url(client: FlaskClient) -> str:
    page = client.get("/calendar").get_data(as_text=True)
    match = re.search(r'value="(http://localhost/calendar/[^"]+\.ics)"', page)
    assert match, page
    return match.group(1).removeprefix("http://localhost")


def test_calendar_feed_works_without_login_and_a_reset_retires_it(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ola")
    plan(client, cast.elsewhere, title="Not Ana's")
    as_(client, auth, cast, "ana")
    plan(client, cast.trio, cadence="weekly", count="2")
    plan(client, cast.pair, date=ahead(3).isoformat())
    page = client.get("/").get_data(as_text=True)
    assert 'href="/calendar"' in page  # the dashboard links to it
    assert "You have no feed yet" in client.get("/calendar").get_data(as_text=True)
    assert post_form(client, "/calendar/reset", {}, page="/calendar").status_code == 302
    url = feed_url(client)
    auth.logout()

    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = ics_events(response.data)
    expected = [*sessions_of(app, cast.pair), *sessions_of(app, cast.trio)]
    assert [str(e["UID"]) for e in events] == [f"circles-session-{s.id}@localhost"
                                               for s in expected]
    assert {str(e["SUMMARY"]) for e in events} == {"Trio", "Pair"}
    body = response.get_data(as_text=True)
    assert "Not Ana" not in body and "@example.org" not in body  # no one's e-mail
    # Garbage, forged and other members' tokens are all simply not found.
    token = url.removeprefix("/calendar/").removesuffix(".ics")
    user_id, signature = token.split("-", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    ben = cast.ids["ben"]
    for bad in ("nope", f"{user_id}-", f"{user_id}-{flipped}", f"{ben}-{signature}",
                f"{user_id}{signature}", "-" + signature, "9" * 40 + "-x"):
        assert client.get(f"/calendar/{bad}.ics").status_code == 404, bad

    auth.login(cast.emails["ana"])
    assert post_form(client, "/calendar/reset", {}, page="/calendar").status_code == 302
    new_url = feed_url(client)
    auth.logout()
    assert new_url != url
    assert client.get(url).status_code == 404
    assert client.get(new_url).status_code == 200


def test_role_buttons_release_claim_and_swap_by_consent(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    plan(client, cast.trio)
    session = sessions_of(app, cast.trio)[0]
    ana, ben, cy = cast.ids["ana"], cast.ids["ben"], cast.ids["cy"]
    assert roles_of(app, session.id) == {"facilitator": ana, "timekeeper": ben, "note_taker": cy}
    base = f"/sessions/{session.id}/roles"
    circle_page = f"/circles/{cast.trio}"

    # Ana cannot take Ben's role by claiming it.
    response = post_form(client, f"{base}/timekeeper/claim", {}, page=circle_page,
                         follow_redirects=True)
    assert "Someone is already the timekeeper; propose a swap instead." in response.get_data(
        as_text=True)
    assert roles_of(app, session.id)["timekeeper"] == ben

    # She proposes a swap; nothing changes until Ben accepts.
    with app.app_context():
        ids = {r.role: r.id for r in orm.session.scalars(
            select(SessionRole).where(SessionRole.session_id == session.id))}
    page = client.get(circle_page).get_data(as_text=True)
    assert f'action="/roles/{ids["facilitator"]}/swap"' in page
    post_form(client, f"/roles/{ids['facilitator']}/swap", {"swap_with": ids["timekeeper"]},
              page=circle_page)
    assert roles_of(app, session.id)["facilitator"] == ana
    assert "You asked Ben to swap" in client.get(circle_page).get_data(as_text=True)

    as_(client, auth, cast, "cy")  # not the one asked: cannot accept
    post_form(client, f"/roles/{ids['facilitator']}/swap/accept", {}, page=circle_page)
    assert roles_of(app, session.id)["facilitator"] == ana
    assert "Swap requests for you" not in client.get(circle_page).get_data(as_text=True)

    as_(client, auth, cast, "ben")
    page = client.get(circle_page).get_data(as_text=True)
    assert "Swap requests for you" in page and "Ana asks to swap" in page
    response = post_form(client, f"/roles/{ids['facilitator']}/swap/accept", {},
                         page=circle_page, follow_redirects=True)
    assert "Roles swapped." in response.get_data(as_text=True)
    assert roles_of(app, session.id) == {"facilitator": ben, "timekeeper": ana, "note_taker": cy}

    # Ben releases; the role shows vacant with a claim button; Mo (not in the circle) gets 404.
    post_form(client, f"{base}/facilitator/release", {}, page=circle_page)
    page = client.get(circle_page).get_data(as_text=True)
    assert "vacant" in page and f'action="{base}/facilitator/claim"' in page
    as_(client, auth, cast, "mo")
    assert post_form(client, f"{base}/facilitator/claim", {}, page="/").status_code == 404
    as_(client, auth, cast, "cy")
    response = post_form(client, f"{base}/facilitator/claim", {}, page=circle_page,
                         follow_redirects=True)
    assert "at most one role per session" in response.get_data(as_text=True)
    post_form(client, f"{base}/note_taker/release", {}, page=circle_page)
    post_form(client, f"{base}/facilitator/claim", {}, page=circle_page)
    assert roles_of(app, session.id) == {"facilitator": cy, "timekeeper": ana, "note_taker": None}


def test_past_sessions_are_listed_below_without_buttons(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    plan(client, cast.trio, title="Ahead")
    with app.app_context():
        orm.session.add(CircleSession(circle_id=cast.trio, title="Looking back",
                                      starts_at=datetime.now(UTC) - timedelta(days=7),
                                      duration_minutes=60, status="ended"))
        orm.session.commit()
    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    upcoming, past = page.split("<h3>Past</h3>")
    assert "Ahead" in upcoming and "Looking back" in past and "Ahead" not in past
    assert "claim" not in past and "Cancel session" not in past


def test_facilitators_see_the_schedule_read_only_and_swaps_offered_keep_the_rules(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    plan(client, cast.trio, cadence="weekly", count="2")
    first, second = sessions_of(app, cast.trio)
    with app.app_context():
        fac_id = orm.session.scalars(select(SessionRole.id).where(
            SessionRole.session_id == first.id, SessionRole.role == "facilitator")).one()
    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    offered = page[page.index(f'id="swap-{fac_id}"'):]
    offered = offered[:offered.index("</select>")]
    # In a trio everyone has a role in both sessions, so only same-session swaps are offered.
    assert offered.count("<option") == 2 and second.starts_at.strftime("%d %b") not in offered

    as_(client, auth, cast, "fay")
    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    section = page[page.index('id="sessions"'):]
    assert "Facilitator" in section and "Ana" in section
    for action in ("/claim", "/release", "/swap", ".ics", "/cancel", "Plan a session"):
        assert action not in section


def test_moving_a_session_explains_bad_input(app: Flask, client: FlaskClient,
                                            auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    plan(client, cast.trio)
    session = sessions_of(app, cast.trio)[0]
    form = client.get(f"/sessions/{session.id}/reschedule").get_data(as_text=True)
    assert f'value="{ahead().isoformat()}"' in form and 'value="18:00"' in form
    response = post_form(client, f"/sessions/{session.id}/reschedule",
                         {"date": "2001-01-01", "time": "18:00", "timezone": "Europe/Berlin",
                          "duration_minutes": "600"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "has already passed" in html and "A session lasts 15 to 480 minutes" in html
    after = sessions_of(app, cast.trio)[0]
    assert (after.starts_at, after.duration_minutes, after.sequence) == (
        session.starts_at, 90, 0)
