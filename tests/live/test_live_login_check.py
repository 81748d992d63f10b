"""A live change checks its login in the same query that reads its session (issue 18), and
still stops at once when the login ended: revoked (logged out elsewhere, replaced, ended
from "Where you're logged in"), the account disabled, idle or kept too long.

The revocations here are made from another database connection and publish no revocation
instruction (as if Redis had lost it), so only the change's own login check can refuse the
next event. In-process tests count what that check costs on both databases; the last one
goes through real python-socketio clients against a live server, over a websocket (over
long-polling the transport's own check, ``realtime.ownership``, would refuse it first).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from circles.extensions import orm
from circles.members import logins
from circles.models import LoginSession, User, utcnow
from circles.security_log import LOGGER_NAME
from realtime.acks import LOGIN_ENDED
from tests.live.test_live_handlers import call, received, socket_for, sockets, version_of
from tests.live.test_live_round_trips import counted, kinds, reads_login_and_session, room
from tests.security.test_hardening import security_records
from tests.support.live import LiveServer, ServerFactory
from tests.support.live_circle import SERVER_ENV, four_in_a_circle, logged, operator_app
from tests.support.live_room import Room
from tests.support.live_socket import Member

__all__ = ["room", "sockets"]  # the fixtures, shared with the handler tests

ENDED = {"ok": False, "error": LOGIN_ENDED}
CHECKIN = {"kind": "checkin", "text": "Glad to be here"}


@pytest.fixture
def started(app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> Room:
    """The room's session under way, Cy's first contribution made (the login check passed)."""
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    assert call(sockets["cy"], "live:contribute", {**sid, **CHECKIN})["ok"] is True
    for socket in sockets.values():
        socket.get_received()
    return room


def change_login(app: Flask, user_id: int, **values: Any) -> None:
    """Change the member's login rows from another connection, as another process would."""
    with app.app_context(), orm.engine.begin() as conn:
        conn.execute(update(LoginSession).where(LoginSession.user_id == user_id).values(values))


def login_of(app: Flask, user_id: int) -> LoginSession:
    with app.app_context():
        login = orm.session.scalars(select(LoginSession).where(
            LoginSession.user_id == user_id)).one()
        orm.session.expunge(login)
        return login


@pytest.mark.parametrize("ended_by", ["revoked", "disabled"])
def test_a_login_ended_between_two_changes_refuses_the_very_next_one(
        app: Flask, started: Room, sockets: dict[str, SocketIOTestClient],
        caplog: pytest.LogCaptureFixture, ended_by: str) -> None:
    sid = {"session_id": started.session_id}
    before = version_of(app, started.session_id)
    if ended_by == "revoked":  # logged out elsewhere, replaced, ended from the list
        change_login(app, started.cy, revoked_at=utcnow())
    else:  # a bulk UPDATE past the ORM: no watch ends the sockets, the check must
        with app.app_context(), orm.engine.begin() as conn:
            conn.execute(update(User).where(User.id == started.cy).values(is_active=False))
    caplog.set_level(logging.INFO, LOGGER_NAME)
    with counted(app) as sent:
        ack = call(sockets["cy"], "live:contribute", {**sid, **CHECKIN})
    assert ack == ENDED
    # The one query found no row; the login is then read alone (and its owner, for the
    # security log), exactly as before the fold. Nothing is written; the transaction ends
    # with the event.
    assert reads_login_and_session(sent[1]), sent[1]
    assert kinds(sent) == ["BEGIN", "SELECT", "SELECT", "SELECT", "ROLLBACK"], kinds(sent)
    assert "FOR UPDATE" not in sent[2] and "circle_session" not in sent[2], sent[2]
    assert version_of(app, started.session_id) == before
    used = [r for r in security_records(caplog) if r["event"] == "session_use_after_expire"]
    assert [r["user"] for r in used] == [started.cy]
    # Out of the session's room: the next change in it no longer reaches that socket.
    assert call(sockets["di"], "live:contribute", {**sid, **CHECKIN})["ok"] is True
    assert received(sockets["cy"], "live:changed") == []
    assert received(sockets["ben"], "live:changed")


@pytest.mark.parametrize(("column", "days"), [("last_seen_at", 15), ("created_at", 91)])
def test_a_login_idle_or_kept_too_long_ends_on_its_next_change(
        app: Flask, started: Room, sockets: dict[str, SocketIOTestClient],
        caplog: pytest.LogCaptureFixture, column: str, days: int) -> None:
    change_login(app, started.cy, **{column: utcnow() - timedelta(days=days)})
    caplog.set_level(logging.INFO, LOGGER_NAME)
    ack = call(sockets["cy"], "live:contribute", {"session_id": started.session_id, **CHECKIN})
    assert ack == ENDED
    assert login_of(app, started.cy).revoked_at is not None  # ended for good, committed
    used = [r for r in security_records(caplog) if r["event"] == "session_use_after_expire"]
    assert [r["user"] for r in used] == [started.cy]
    again = call(sockets["cy"], "live:contribute", {"session_id": started.session_id, **CHECKIN})
    assert again == ENDED


def test_last_seen_is_noted_every_few_minutes_as_before_and_the_change_made(
        app: Flask, started: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": started.session_id}
    a_while_ago = utcnow() - logins.SEEN_GRANULARITY - timedelta(seconds=1)
    change_login(app, started.cy, last_seen_at=a_while_ago)
    with counted(app) as sent:
        assert call(sockets["cy"], "live:contribute", {**sid, **CHECKIN})["ok"] is True
    noted = login_of(app, started.cy).last_seen_at
    assert noted.replace(tzinfo=None) > a_while_ago.replace(tzinfo=None)
    # The note is committed apart, as before: a refused change must not take it back. The
    # session is then read again, in the change's own transaction.
    assert kinds(sent)[:4] == ["BEGIN", "SELECT", "UPDATE", "COMMIT"], kinds(sent)
    assert kinds(sent).count("COMMIT") == 2, kinds(sent)
    with counted(app) as sent:  # noted a moment ago: no write until the next few minutes
        assert call(sockets["cy"], "live:contribute", {**sid, **CHECKIN})["ok"] is True
    assert kinds(sent).count("BEGIN") == 1 and "UPDATE" not in kinds(sent)[:3], kinds(sent)
    assert login_of(app, started.cy).last_seen_at == noted


def test_a_stranger_is_still_answered_not_found_and_logged(
        app: Flask, started: Room, caplog: pytest.LogCaptureFixture) -> None:
    olu = socket_for(app, started.olu)
    caplog.set_level(logging.INFO, LOGGER_NAME)
    ack = call(olu, "live:contribute", {"session_id": started.session_id, **CHECKIN})
    assert ack == {"ok": False, "error": "That session was not found."}
    failed = [r for r in security_records(caplog) if r["event"] == "authz_fail"]
    assert [r["user"] for r in failed] == [started.olu]


# --- through a live server ----------------------------------------------------------------


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(**SERVER_ENV)


@pytest.fixture
def member_sockets() -> Iterator[list[Member]]:
    opened: list[Member] = []
    yield opened
    for socket in opened:
        if socket.client.connected:
            socket.disconnect()


@pytest.mark.live
def test_a_live_server_refuses_the_change_right_after_its_login_was_revoked(
        server: LiveServer, member_sockets: list[Member]) -> None:
    circle = four_in_a_circle(server)
    sid = {"session_id": circle.session_id}
    for name in ("ada", "ben"):
        socket = Member(server, circle.cookies[name], transports=["websocket"])
        socket.connect()
        member_sockets.append(socket)
        assert socket.call("live:join", sid)["ok"] is True
    ada, ben = member_sockets
    assert ada.call("live:start", sid)["ok"] is True
    assert ben.call("live:contribute", {**sid, **CHECKIN})["ok"] is True
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:  # another process's path: nothing is published
            assert logins.end_all_logins(db, circle.ids["ben"])
            db.commit()
    finally:
        engine.dispose()
    with operator_app(server) as app:
        version, _log = logged(app, circle.session_id)
        assert ben.call("live:contribute", {**sid, **CHECKIN}) == ENDED
        assert ben.client.connected  # the instruction was lost: the check alone refused it
        assert logged(app, circle.session_id)[0] == version
        assert ada.call("live:contribute", {**sid, **CHECKIN})["ok"] is True
    time.sleep(0.3)  # ada's change reached the room; ben's socket has left it
    seen = [data for event, data in list(ben.events.queue) if event == "live:changed"
            and data.get("version", 0) > version]
    assert seen == []
