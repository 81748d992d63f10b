"""Every session has a place: a checked video-call link, a room or address, a generated room on
the site's own video service; shown in reminders, e-mails, the .ics file and the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from circles.errors import InvalidInput
from circles.extensions import orm
from circles.models import Circle, CircleSession, OutboxMessage, User, as_utc, utcnow
from circles.sessions import places, scheduling
from circles.sessions.reminders import send_due_reminders
from tests.conftest import AuthActions, post_form

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
BASE = "https://meet.example.org/"


@pytest.mark.parametrize("link", [
    "https://meet.jit.si/our-circle",
    "http://meet.example.org:8443/room?pwd=a1b2",
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%22Tid%22%7d",
    "  https://zoom.us/j/123456789  ",
])
def test_a_web_address_is_a_video_link(link: str) -> None:
    assert places.checked_video_url(link) == link.strip()


@pytest.mark.parametrize("link", [
    "javascript:alert(1)",
    "meet.jit.si/our-circle",  # no scheme: a person would type this, and it would not open
    "ftp://files.example.org/room",
    "https://",
    "https://exa mple.org/room",
    "https://example.org/<script>",
    "https://trusted.example@evil.example/room",  # who the link seems to lead to, and does not
    "https://example.org:port/room",
    "data:text/html,<h1>hi</h1>",
])
def test_anything_else_is_refused_in_plain_words(link: str) -> None:
    with pytest.raises(ValueError, match="^Give a web address starting with https://$"):
        places.checked_video_url(link)


def test_a_link_or_address_too_long_is_refused_and_an_address_stays_on_one_line() -> None:
    with pytest.raises(ValueError, match="under 500 characters"):
        places.checked_video_url("https://example.org/" + "a" * 490)
    with pytest.raises(ValueError, match=r"under 200 characters \(it has 201\)"):
        places.checked_location("x" * 201)
    assert places.checked_location("  Room 4.12,\n Main Street 5 ") == "Room 4.12, Main Street 5"


def test_a_generated_room_is_the_circle_slug_and_96_random_bits() -> None:
    first = places.video_room(BASE, "Round 1 · Circle 8")
    second = places.video_room(BASE, "Round 1 · Circle 8")
    assert re.fullmatch(r"https://meet\.example\.org/round-1-circle-8-[0-9a-f]{24}", first)
    assert first != second
    assert places.slug("Ünïcode — only!") == "unicode-only"
    assert places.slug("·····") == "circle"
    assert places.checked_video_url(first) == first


@pytest.fixture
def trio(make_user: Callable[..., User], make_community: Any,
         make_circle: Any) -> dict[str, Any]:
    ana, ben, cy = (make_user(display_name=n, timezone="Europe/Berlin") for n in ("Ana", "Ben", "Cy"))
    fay = make_user(display_name="Fay")
    community = make_community(fay, members=[ana, ben, cy])
    circle = make_circle(community, [ana, ben, cy], name="Round 1 · Circle 8")
    return {"ana": ana.id, "ben": ben.id, "fay": fay.id, "circle": circle.id,
            "emails": {"ana": ana.email, "fay": fay.email}}


def _plan(db: Any, trio: dict[str, Any], **fields: Any) -> list[CircleSession]:
    values: dict[str, Any] = {"date": "2030-03-21", "time": "18:00", "timezone": "Europe/Berlin",
                              "duration_minutes": 90, **fields}
    return scheduling.schedule(db, db.get_one(Circle, trio["circle"]),
                               db.get_one(User, trio["ana"]), now=NOW, **values)


def test_a_series_meets_in_one_generated_room_and_one_address(db: Any, trio: dict[str, Any]) -> None:
    sessions = _plan(db, trio, cadence="weekly", count=3, create_room=True, room_base=BASE,
                     location="Room 4.12, Main Street 5")
    assert {s.video_url for s in sessions} == {sessions[0].video_url}
    assert sessions[0].video_url.startswith("https://meet.example.org/round-1-circle-8-")
    assert {s.location for s in sessions} == {"Room 4.12, Main Street 5"}


@pytest.mark.parametrize(("fields", "problems"), [
    ({"video_url": "meet.jit.si/x"}, {"video_url": places.BAD_LINK}),
    ({"create_room": True}, {"video_url": places.NO_ROOMS}),  # the site has no service
    ({"create_room": True, "room_base": BASE, "video_url": "https://zoom.us/j/1"},
     {"video_url": places.BOTH_LINKS}),
    ({"location": "y" * 300, "video_url": "nope", "duration_minutes": 5},
     {"video_url": places.BAD_LINK, "location": "Keep the room or address under 200 characters "
      "(it has 300).", "duration_minutes": "A session lasts 15 to 480 minutes (8 hours)."}),
])
def test_every_problem_of_a_place_is_told_at_once_beside_its_field(
        db: Any, trio: dict[str, Any], fields: dict[str, Any], problems: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        _plan(db, trio, **fields)
    assert caught.value.errors == problems
    assert db.scalars(select(CircleSession)).all() == []


def test_moving_a_session_can_change_its_place(db: Any, trio: dict[str, Any]) -> None:
    session = _plan(db, trio, video_url="https://zoom.us/j/1")[0]
    before = session.sequence
    scheduling.reschedule(db, session, db.get_one(User, trio["ana"]), date="2030-03-21",
                          time="18:00", timezone="Europe/Berlin", duration_minutes=90,
                          video_url="", location="Café Central, Herrengasse 14", now=NOW)
    assert (session.video_url, session.location) == ("", "Café Central, Herrengasse 14")
    assert session.sequence == before + 1  # calendars that subscribed see the new place
    scheduling.reschedule(db, session, db.get_one(User, trio["ana"]), date="2030-03-22",
                          time="18:00", timezone="Europe/Berlin", duration_minutes=90, now=NOW)
    assert session.location == "Café Central, Herrengasse 14"  # None keeps the place


def _unfolded(ics: bytes) -> str:
    return ics.decode().replace("\r\n ", "")


def test_the_calendar_file_has_the_place_escaped(app: Flask, client: FlaskClient,
                                                 auth: AuthActions, trio: dict[str, Any]) -> None:
    with app.app_context():
        session = _plan(orm.session, trio, video_url="https://meet.example.org/trio?pwd=a,b",
                        location="Room 4; Floor 2, Main St")[0]
        session.title = "Kick-off, part 1; intro"
        orm.session.commit()
        session_id = session.id
    auth.login(trio["emails"]["ana"])
    ics = client.get(f"/sessions/{session_id}.ics").data
    text = _unfolded(ics)
    assert "\r\nLOCATION:Room 4\\; Floor 2\\, Main St\r\n" in text
    assert "\r\nURL:https://meet.example.org/trio?pwd=a,b\r\n" in text
    assert "SUMMARY:Round 1 · Circle 8: Kick-off\\, part 1\\; intro\r\n" in text
    assert ("DESCRIPTION:Video call: https://meet.example.org/trio?pwd=a\\,b\\n"
            "Where: Room 4\\; Floor 2\\, Main St\\nFacilitator:") in text
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == "Room 4; Floor 2, Main St"  # what a calendar app reads
    assert str(event["URL"]) == "https://meet.example.org/trio?pwd=a,b"


def test_a_link_alone_is_the_location_and_no_place_is_no_location(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    with app.app_context():
        linked = _plan(orm.session, trio, video_url="https://zoom.us/j/42")[0].id
        nowhere = _plan(orm.session, trio, date="2030-03-22")[0].id
        orm.session.commit()
    auth.login(trio["emails"]["ana"])
    linked_event = Calendar.from_ical(client.get(f"/sessions/{linked}.ics").data).walk("VEVENT")[0]
    assert str(linked_event["LOCATION"]) == "https://zoom.us/j/42"
    assert str(linked_event["URL"]) == "https://zoom.us/j/42"
    plain = Calendar.from_ical(client.get(f"/sessions/{nowhere}.ics").data).walk("VEVENT")[0]
    assert "LOCATION" not in plain
    assert str(plain["URL"]).endswith(f"/circles/{trio['circle']}")


def test_reminders_say_where_and_the_email_carries_the_link(app: Flask,
                                                            trio: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session
        session = _plan(db, trio, video_url="https://zoom.us/j/42", location="Room 4")[0]
        send_due_reminders(db, as_utc(session.starts_at) - timedelta(hours=2))
        db.commit()
        note_text = db.scalar(select(OutboxMessage.body).where(
            OutboxMessage.to == trio["emails"]["ana"]))
    assert note_text is not None
    assert "starts Thu 21 Mar 2030, 18:00 (Berlin time), in Room 4 and by video call" in note_text
    assert "\nVideo call: https://zoom.us/j/42\nWhere: Room 4\n" in note_text


def test_the_plan_form_offers_a_room_only_where_the_site_has_a_service(
        app: Flask, client: FlaskClient, auth: AuthActions, trio: dict[str, Any]) -> None:
    auth.login(trio["emails"]["ana"])
    url = f"/circles/{trio['circle']}/sessions/new"
    page = client.get(url).get_data(as_text=True)
    assert "Video-call link (optional)" in page and "Room or address (optional)" in page
    assert "Create a video room for us" not in page
    app.config["VIDEO_ROOM_BASE_URL"] = BASE
    assert "Create a video room for us" in client.get(url).get_data(as_text=True)
    day = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    sent = post_form(client, url, {"date": day, "time": "18:00", "timezone": "Europe/Berlin",
                                   "duration_minutes": "60", "count": "1", "create_room": "y",
                                   "location": "Room 4"})
    assert sent.status_code == 302
    circle_page = client.get(f"/circles/{trio['circle']}").get_data(as_text=True)
    room = re.search(r'href="(https://meet\.example\.org/round-1-circle-8-[0-9a-f]{24})"',
                     circle_page)
    assert room is not None and "Join the video call" in circle_page
    assert "Where: Room 4" in circle_page


def test_a_bad_link_is_explained_beside_its_field(client: FlaskClient, auth: AuthActions,
                                                  trio: dict[str, Any]) -> None:
    auth.login(trio["emails"]["ana"])
    url = f"/circles/{trio['circle']}/sessions/new"
    day = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
    sent = post_form(client, url, {"date": day, "time": "18:00", "timezone": "UTC",
                                   "duration_minutes": "60", "count": "1",
                                   "video_url": "javascript:alert(1)"})
    assert sent.status_code == 422
    html = sent.get_data(as_text=True)
    assert 'id="video_url-error" role="alert">Give a web address starting with https://<' in html
    assert 'href="javascript:' not in html


def test_the_api_gives_the_place_and_the_link_only_to_members(
        app: Flask, client: FlaskClient, trio: dict[str, Any]) -> None:
    from circles.api.tokens import create_token

    with app.app_context():
        db = orm.session
        _plan(db, trio, video_url="https://zoom.us/j/42", location="Room 4")
        tokens = {who: create_token(db, db.get_one(User, trio[who]), name="test", expires_in_days=None,
                                           now=utcnow())[1]
                  for who in ("ana", "fay")}
        db.commit()
    url = f"/api/v1/circles/{trio['circle']}/sessions"
    mine = client.get(url, headers={"Authorization": f"Bearer {tokens['ana']}"}).get_json()
    assert (mine["items"][0]["video_url"], mine["items"][0]["location"]) == (
        "https://zoom.us/j/42", "Room 4")
    theirs = client.get(url, headers={"Authorization": f"Bearer {tokens['fay']}"}).get_json()
    assert (theirs["items"][0]["video_url"], theirs["items"][0]["location"]) == (None, "Room 4")


def test_the_live_room_shows_where_the_circle_meets(app: Flask, client: FlaskClient,
                                                    auth: AuthActions,
                                                    trio: dict[str, Any]) -> None:
    with app.app_context():
        session_id = _plan(orm.session, trio, video_url="https://zoom.us/j/42",
                           location="Room 4")[0].id
        orm.session.commit()
    auth.login(trio["emails"]["ana"])
    room = client.get(f"/sessions/{session_id}/live").get_data(as_text=True)
    assert 'href="https://zoom.us/j/42"' in room and "Where: Room 4" in room
