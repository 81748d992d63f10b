"""One lifecycle: however a circle closes — a later round is published, its members close it,
or too few remain — its sessions still ahead are called off everywhere a member looks: the
circle page (no "Upcoming", no roles to swap, no "Join live session", no "Plan a session",
but "This circle closed on …"), the live room (a sentence, not a 404, for its members), the
planning form, the calendar feed (STATUS:CANCELLED with a new SEQUENCE, then gone once its
time has passed) and reminders. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from circles.communities import ending
from circles.extensions import orm
from circles.formation.plan import compute_run
from circles.formation.publish import publish
from circles.formation.start import start_run
from circles.models import Circle, CircleSession, Community, Notification, User, utcnow
from circles.sessions import scheduling
from circles.sessions.calendar import reset_feed
from circles.sessions.reminders import send_due_reminders
from tests.conftest import AuthActions, post_form

WAYS = ("a later round is published", "its members close it", "too few remain")


@dataclass
class Cast:
    emails: dict[str, str]
    ids: dict[str, int]
    community: int
    trio: int  # Ana, Ben and Cy, formed by hand
    sessions: list[int]  # the trio's sessions, in 3 and in 10 days


@pytest.fixture
def cast(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Cast:
    names = ("fay", "ana", "ben", "cy", "dee", "eve", "fin", "gus")
    users = {n: make_user(display_name=n.capitalize(), organisation=f"Org {i}")
             for i, n in enumerate(names)}
    community = make_community(users["fay"], members=[users[n] for n in names[1:]])
    trio = make_circle(community, [users["ana"], users["ben"], users["cy"]], name="Trio")
    with app.app_context():
        circle = orm.session.get_one(Circle, trio.id)
        ana = orm.session.get_one(User, users["ana"].id)
        planned = []
        for days in (3, 10):
            day = (utcnow() + timedelta(days=days)).date().isoformat()
            planned += scheduling.schedule(orm.session, circle, ana, date=day, time="18:00",
                                           timezone="UTC", duration_minutes=60)
        orm.session.commit()
        session_ids = [s.id for s in planned]
    return Cast({n: u.email for n, u in users.items()}, {n: u.id for n, u in users.items()},
                community.id, trio.id, session_ids)


def close_by(app: Flask, cast: Cast, way: str) -> None:
    with app.app_context():
        db = orm.session
        circle = db.get_one(Circle, cast.trio)
        if way == "its members close it":
            ending.close_circle(db, db.get_one(User, cast.ids["ben"]), circle)
        elif way == "too few remain":
            ending.call_it_a_day(db, db.get_one(User, cast.ids["ben"]), circle)
            assert circle.closed_at is None  # a pair carries on
            ending.call_it_a_day(db, db.get_one(User, cast.ids["cy"]), circle)
        else:
            community = db.get_one(Community, cast.community)
            run = start_run(db, community, db.get_one(User, cast.ids["fay"]), min_size=2,
                            max_size=3, rounds=1)
            publish(db, compute_run(db, run.id, time_limit=0.3, seed=1))
        db.commit()
        assert db.get_one(Circle, cast.trio).closed_at is not None


def as_(client: FlaskClient, auth: AuthActions, cast: Cast, who: str) -> None:
    if "Log out" in client.get("/").get_data(as_text=True):
        auth.logout()
    assert auth.login(cast.emails[who]).status_code == 302


def feed_events(app: Flask, client: FlaskClient, cast: Cast, who: str) -> dict[str, Any]:
    with app.app_context():
        user = orm.session.get_one(User, cast.ids[who])
        reset_feed(orm.session, user)
        orm.session.commit()
        from circles.sessions.calendar import feed_token
        token = feed_token(app.config["SECRET_KEY"], user)
    body = client.get(f"/calendar/{token}.ics").data
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


@pytest.mark.parametrize("way", WAYS)
def test_the_circle_page_says_it_closed_and_offers_nothing_ahead(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast, way: str) -> None:
    as_(client, auth, cast, "ana")
    before = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    assert "Upcoming" in before and "Join live session" in before and "Plan a session" in before
    close_by(app, cast, way)

    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    assert "This circle closed on" in page and "called off" in page
    for stale in ("<h3>Upcoming</h3>", "Join live session", "Plan a session", "propose swap",
                  "Cancel session", "Rename this circle", f"/circles/{cast.trio}/sessions/new"):
        assert stale not in page, stale
    assert page.count("<span class=\"badge\">called off</span>") == 2


@pytest.mark.parametrize("way", WAYS)
def test_the_live_room_and_the_planning_form_say_why_in_a_sentence(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast, way: str) -> None:
    close_by(app, cast, way)
    as_(client, auth, cast, "ana")
    room = client.get(f"/sessions/{cast.sessions[0]}/live")
    assert room.status_code == 410
    text = room.get_data(as_text=True)
    assert "was called off because Trio closed on" in text and "live-room" not in text
    planning = client.get(f"/circles/{cast.trio}/sessions/new")
    assert planning.status_code == 409
    assert "Trio closed on" in planning.get_data(as_text=True)
    assert "no new sessions can be planned" in planning.get_data(as_text=True)
    assert post_form(client, f"/circles/{cast.trio}/sessions/new", {"date": "2099-01-01"},
                     page=f"/circles/{cast.trio}").status_code == 409

    as_(client, auth, cast, "dee")  # in the community, never in the circle: nothing to see
    assert client.get(f"/sessions/{cast.sessions[0]}/live").status_code == 404
    assert client.get(f"/circles/{cast.trio}/sessions/new").status_code == 404


@pytest.mark.parametrize("way", WAYS)
def test_the_feed_cancels_them_then_drops_them_and_no_reminder_goes_out(
        app: Flask, client: FlaskClient, cast: Cast, way: str) -> None:
    close_by(app, cast, way)
    events = feed_events(app, client, cast, "ana")
    for session_id in cast.sessions:
        event = events[f"circles-session-{session_id}@localhost"]
        assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 1)

    with app.app_context():
        db = orm.session
        first = db.get_one(CircleSession, cast.sessions[0])
        starts = first.starts_at.replace(tzinfo=UTC)
        assert send_due_reminders(db, starts - timedelta(hours=2)) == 0
        assert db.scalar(select(Notification.id).where(
            Notification.kind == "upcoming_session")) is None
        ana = db.get_one(User, cast.ids["ana"])
        after = starts + timedelta(hours=2)
        kept = scheduling.feed_sessions(db, ana, since=after - timedelta(days=30), now=after)
        assert [s.id for s in kept] == [cast.sessions[1]]  # the past cancelled one is gone


def test_a_cancelled_session_of_an_open_circle_says_so_in_its_room(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    as_(client, auth, cast, "ana")
    assert post_form(client, f"/sessions/{cast.sessions[0]}/cancel", {},
                     page=f"/circles/{cast.trio}").status_code == 302
    room = client.get(f"/sessions/{cast.sessions[0]}/live")
    assert room.status_code == 410 and "was cancelled" in room.get_data(as_text=True)
    assert client.get(f"/sessions/{cast.sessions[1]}/live").status_code == 200


def test_members_are_told_which_sessions_were_called_off(app: Flask, cast: Cast) -> None:
    close_by(app, cast, "its members close it")
    with app.app_context():
        texts = {uid: list(orm.session.scalars(select(Notification.text).where(
            Notification.user_id == uid, Notification.kind == "circle_change")))
            for uid in (cast.ids["ana"], cast.ids["ben"], cast.ids["cy"])}
    assert texts[cast.ids["ben"]] == []  # who closed it knows
    for uid in (cast.ids["ana"], cast.ids["cy"]):
        [text] = texts[uid]
        assert text.startswith("Trio has closed (Ben closed it); its 2 upcoming sessions are "
                               "called off.")


def test_the_last_one_left_is_told_the_circle_closed(app: Flask, cast: Cast) -> None:
    close_by(app, cast, "too few remain")
    with app.app_context():
        [last] = orm.session.scalars(select(Notification.text).where(
            Notification.user_id == cast.ids["ana"], Notification.kind == "circle_change",
            Notification.text.contains("so the circle has closed")))
    assert "Its 2 upcoming sessions are called off." in last


def test_a_facilitator_removing_the_second_last_member_closes_it(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    with app.app_context():
        ending.call_it_a_day(orm.session, orm.session.get_one(User, cast.ids["cy"]),
                             orm.session.get_one(Circle, cast.trio))
        orm.session.commit()
    as_(client, auth, cast, "fay")
    assert post_form(client, f"/circles/{cast.trio}/members/{cast.ids['ben']}/remove",
                     {"reason": ""}, page=f"/circles/{cast.trio}").status_code == 302
    with app.app_context():
        assert orm.session.get_one(Circle, cast.trio).closed_at is not None
        assert {s.status for s in orm.session.scalars(select(CircleSession))} == {"cancelled"}
        assert orm.session.scalar(select(Notification.text).where(
            Notification.user_id == cast.ids["ana"],
            Notification.text.contains("too few members remain"))) is not None


def test_a_closed_circle_takes_no_new_members_and_its_sessions_do_not_start(
        app: Flask, cast: Cast) -> None:
    from circles.communities.circle import add_to_circle
    from circles.errors import Conflict
    from circles.live.phases import start

    with app.app_context():
        db = orm.session
        circle = db.get_one(Circle, cast.trio)
        ana = db.get_one(User, cast.ids["ana"])
        past = CircleSession(circle_id=circle.id, starts_at=utcnow() - timedelta(minutes=5))
        db.add(past)
        db.flush()
        ending.close_circle(db, ana, circle)
        with pytest.raises(Conflict, match="no new members"):
            add_to_circle(db, circle, cast.ids["dee"])
        with pytest.raises(Conflict, match="no longer start"):
            start(db, ana, past.id)
        assert past.status == "scheduled"  # it had begun: not called off, just not run here
        assert datetime.now(UTC) > past.starts_at.replace(tzinfo=UTC)
