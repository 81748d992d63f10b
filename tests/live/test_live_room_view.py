"""The live room page: members of the session's circle get it, anyone else gets a 404."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from circles.extensions import orm
from circles.models import CircleSession, utcnow
from tests.conftest import AuthActions
from tests.support.live_room import Room, build_room, new_session


@pytest.fixture
def room(app: Any, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def test_a_member_gets_the_room_shell_with_the_scripts(client: FlaskClient, auth: AuthActions,
                                                       room: Room) -> None:
    auth.login("member1@example.org")  # Ada, the first user made
    page = client.get(f"/sessions/{room.session_id}/live")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-session-id="{room.session_id}"' in html
    assert f'data-circle-id="{room.circle_id}"' in html
    assert "/static/room.js" in html and "/vendor/socket.io.min.js" in html
    scripts = re.findall(r'<script type="module" src="/static/(room[^"]*)"></script>', html)
    assert scripts == ["room.js"]  # an ES module: it imports the room's other modules
    circle = client.get(f"/circles/{room.circle_id}").get_data(as_text=True)
    assert f'href="/sessions/{room.session_id}/live">Join live session</a>' in circle


@pytest.mark.parametrize("who, session", [
    ("member5@example.org", "own"),      # Olu: same community, not in the circle
    ("member1@example.org", "missing"),  # Ada, a member, asking for a session that is not there
])
def test_anyone_else_gets_not_found(client: FlaskClient, auth: AuthActions, room: Room,
                                    who: str, session: str) -> None:
    auth.login(who)
    session_id = room.session_id if session == "own" else room.session_id + 1000
    page = client.get(f"/sessions/{session_id}/live")
    assert page.status_code == 404
    assert "Night owls" not in page.get_data(as_text=True)


def test_a_visitor_is_sent_to_log_in(client: FlaskClient, room: Room) -> None:
    page = client.get(f"/sessions/{room.session_id}/live")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]


def test_an_ended_session_links_to_its_summary_on_the_circle_page(
        app: Any, client: FlaskClient, auth: AuthActions, room: Room) -> None:
    with app.app_context():
        session = orm.session.get_one(CircleSession, room.session_id)
        session.status, session.starts_at = "ended", utcnow() - timedelta(days=1)
        orm.session.commit()
    never_run = new_session(app, room.circle_id, {}, days_ahead=-2)  # past, but never held
    auth.login("member1@example.org")
    circle = client.get(f"/circles/{room.circle_id}").get_data(as_text=True)
    past = circle[circle.index('<ul class="past-sessions">'):]
    assert f'<a href="/sessions/{room.session_id}/live">Summary</a>' in past
    assert f"/sessions/{never_run}/live" not in past
    assert "Join live session" not in circle
