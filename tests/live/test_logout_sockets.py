"""Logout reaches sockets: logging out ends that login's open sockets, a disabled or deleted
account ends all of the member's, and leaving a circle takes the member's sockets out of its
live rooms — in one process, and in every process sharing Redis (docs/realtime.md,
"Logout and removal"). That a replayed cookie cannot reconnect is tested in test_realtime.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.extensions import orm
from circles.live import presence
from circles.models import CircleSession, Presence, SessionRole, User, utcnow
from realtime import revocation
from tests.live.test_realtime import community_of, form_circle, member_id, signed_up, unique_email
from tests.support.live import LiveServer, LiveSession, app_on, http_session, server_pool
from tests.support.live_room import build_room
from tests.support.live_socket import WAIT, Member
from tests.support.services import REDIS_URL, require_redis

ENDED_WITHIN = 2.0  # seconds from the revoking request's answer to the socket's end
RAISED_LIMITS = {"FLASK_SIGNUP_RATE_LIMIT": "100 per minute",
                 "FLASK_LOGIN_RATE_LIMIT": "100 per minute"}


class Watched(Member):
    """A member's socket that notes the moment the server ends it."""

    def __init__(self, server: LiveServer, cookie: str) -> None:
        super().__init__(server, cookie)
        self.ended = threading.Event()
        self.client.on("disconnect", lambda *_reason: self.ended.set())

    def ended_within(self, seconds: float, since: float) -> bool:
        return self.ended.wait(max(0.0, since + seconds - time.monotonic()))


@contextmanager
def watched(server: LiveServer, browser: LiveSession) -> Iterator[Watched]:
    socket = Watched(server, browser.cookie_header())
    socket.connect()
    try:
        yield socket
    finally:
        if socket.client.connected:
            socket.disconnect()


def second_browser(server: LiveServer, email: str) -> LiveSession:
    """The same member logged in from another browser (another login session)."""
    browser = http_session(server)
    assert browser.login(email).status_code == 302
    return browser


# --- one process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           migrated_sqlite: Path) -> Iterator[LiveServer]:
    with server_pool(tmp_path_factory.mktemp("logout"), migrated_sqlite) as start:
        yield start(FLASK_LIVE_FACILITATOR_GRACE="1", **RAISED_LIMITS)


@pytest.mark.live
def test_logout_ends_that_logins_sockets_and_no_other(server: LiveServer) -> None:
    email = unique_email("ada")
    laptop = signed_up(server, email, "Ada Lovelace")
    phone = second_browser(server, email)
    with watched(server, laptop) as tab_one, watched(server, laptop) as tab_two, \
            watched(server, phone) as on_phone:
        laptop.logout()
        answered = time.monotonic()
        assert tab_one.ended_within(ENDED_WITHIN, answered), "a logged-out socket stayed open"
        assert tab_two.ended_within(ENDED_WITHIN, answered), "a logged-out socket stayed open"
        assert on_phone.call("whoami")["ok"] is True  # her other login keeps its socket
        assert not on_phone.ended.is_set()


def new_session(server: LiveServer, circle_id: int, facilitator: int) -> int:
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            session = CircleSession(circle_id=circle_id, title="Session", starts_at=utcnow())
            session.roles = [SessionRole(role="facilitator", user_id=facilitator)]
            db.add(session)
            db.commit()
            return session.id
    finally:
        engine.dispose()


def next_change(socket: Member, wanted: Any) -> dict[str, Any]:
    """Read ``socket``'s events until a ``live:changed`` for which ``wanted(data)`` holds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        event, data = socket.events.get(timeout=max(0.01, deadline - time.monotonic()))
        if event == "live:changed" and wanted(data):
            return dict(data)
    pytest.fail("the expected live:changed never came")


@pytest.mark.live
def test_a_member_removed_from_a_circle_leaves_its_live_rooms_but_stays_connected(
        server: LiveServer) -> None:
    emails = {name: unique_email(name) for name in ("fac", "ada", "ben")}
    fac = signed_up(server, emails["fac"], "Fran Facilitator")
    ada = signed_up(server, emails["ada"], "Ada Lovelace")
    ben = signed_up(server, emails["ben"], "Ben Timekeeper")
    ids = {name: member_id(server, email) for name, email in emails.items()}
    community_id = community_of(fac, ada, ben)
    path = form_circle(fac, community_id, "Removal circle", list(ids.values()))
    circle_id = int(path.rsplit("/", 1)[1])
    session_id = new_session(server, circle_id, ids["fac"])

    with watched(server, ada) as ada_socket, watched(server, ben) as ben_socket:
        for socket in (ada_socket, ben_socket):
            assert socket.call("live:join", {"session_id": session_id})["ok"] is True
        removed = fac.post_form(f"{path}/members/{ids['ben']}/remove", {"reason": ""},
                                page=path)
        assert removed.status_code == 302, removed.text
        # The room sees Ben's connection go at once.
        gone = next_change(ada_socket, lambda d: d["change"].get("member", {}).get("id")
                           == ids["ben"] and d["change"]["member"].get("connections") == 0)
        time.sleep(0.2)  # the instruction to leave follows that change (well within 2 s)
        # A later change in the room reaches Ada but not Ben, whose socket stays open.
        left = ada_socket.call("live:leave", {"session_id": session_id})
        assert left["ok"] is True and left["version"] > gone["version"]
        assert ben_socket.call("whoami")["ok"] is True
        assert not ben_socket.ended.is_set()
        seen = [data["version"] for event, data in drain(ben_socket) if event == "live:changed"]
        assert left["version"] not in seen
        assert ben_socket.call("live:join", {"session_id": session_id}) == {
            "ok": False, "error": "That session was not found."}


def drain(socket: Member) -> list[tuple[str, Any]]:
    events = []
    while not socket.events.empty():
        events.append(socket.events.get_nowait())
    return events


# --- several processes sharing Redis ------------------------------------------------------


@dataclass
class RedisPair:
    a: LiveServer
    b: LiveServer
    channel: str


@pytest.fixture(scope="module")
def redis_pair(tmp_path_factory: pytest.TempPathFactory,
               migrated_sqlite: Path) -> Iterator[RedisPair]:
    require_redis()
    tag = f"circles-test-{secrets.token_hex(6)}"
    env = {"SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "FLASK_SOCKETIO_CHANNEL": tag, **RAISED_LIMITS}
    with server_pool(tmp_path_factory.mktemp("logout-redis"), migrated_sqlite) as start:
        yield RedisPair(start(**env), start(**env), channel=tag)


@pytest.mark.live
@pytest.mark.redis
def test_logout_on_one_process_ends_the_socket_held_by_another(redis_pair: RedisPair) -> None:
    email = unique_email("ada")
    laptop = signed_up(redis_pair.a, email, "Ada Lovelace")
    phone = second_browser(redis_pair.a, email)
    # The laptop's socket went to process B (the load balancer's choice), the phone's to A.
    with watched(redis_pair.b, laptop) as socket_b, watched(redis_pair.a, phone) as other:
        laptop.logout()  # through process A
        answered = time.monotonic()
        assert socket_b.ended_within(ENDED_WITHIN, answered), "B kept the logged-out socket"
        assert other.call("whoami")["ok"] is True
        assert not other.ended.is_set()


@pytest.fixture
def operator_app(redis_pair: RedisPair) -> Iterator[Flask]:
    """A third process on the same database and queue, as an operator's script would be."""
    with app_on(redis_pair.a.env["DATABASE_URL"], SOCKETIO_MESSAGE_QUEUE=REDIS_URL,
                SOCKETIO_CHANNEL=redis_pair.channel) as app:
        yield app


@pytest.mark.live
@pytest.mark.redis
@pytest.mark.parametrize("how", ["disabled", "deleted"])
def test_a_disabled_or_deleted_account_loses_every_socket_in_every_process(
        redis_pair: RedisPair, operator_app: Flask, how: str) -> None:
    email = unique_email("ada")
    laptop = signed_up(redis_pair.a, email, "Ada Lovelace")
    phone = second_browser(redis_pair.b, email)
    bystander = signed_up(redis_pair.b, unique_email("ben"), "Ben Bystander")
    with watched(redis_pair.a, laptop) as on_a, watched(redis_pair.b, phone) as on_b, \
            watched(redis_pair.b, bystander) as ben:
        with operator_app.app_context():
            user = orm.session.get_one(User, member_id(redis_pair.a, email))
            if how == "disabled":
                user.is_active = False
            else:
                orm.session.delete(user)
            orm.session.commit()
        committed = time.monotonic()
        assert on_a.ended_within(ENDED_WITHIN, committed), f"A kept a socket of a {how} account"
        assert on_b.ended_within(ENDED_WITHIN, committed), f"B kept a socket of a {how} account"
        assert ben.call("whoami")["ok"] is True
        assert not ben.ended.is_set()


# --- the ORM watch, without servers -------------------------------------------------------


@pytest.fixture
def published(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(revocation.Revoker, "publish", lambda _self, instruction: sent.append(
        instruction))
    return sent


def test_only_a_committed_change_to_inactive_ends_sockets(app: Flask, make_user: Any,
                                                          published: list[dict[str, Any]]) -> None:
    ada, ben = make_user(), make_user()
    with app.app_context():
        orm.session.get_one(User, ada.id).display_name = "Ada L."  # not a revocation
        orm.session.get_one(User, ben.id).is_active = False
        orm.session.flush()
        orm.session.rollback()  # nothing happened
        assert published == []
        orm.session.get_one(User, ben.id).is_active = False
        orm.session.commit()
    assert published == [{"do": "end", "room": f"member:{ben.id}"}]


def test_login_rooms_name_a_hash_never_the_token() -> None:
    token = secrets.token_urlsafe(32)
    room = revocation.login_room(token)
    assert token not in room and room == revocation.login_room(token)
    assert room != revocation.login_room(token + "x")


def test_departing_drops_the_members_connections_in_that_circles_sessions_only(
        app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> None:
    room = build_room(app, make_user, make_community, make_circle)
    with app.app_context():
        db = orm.session()
        for name, sid in (("di", "di-tab-1"), ("di", "di-tab-2"), ("ada", "ada-tab")):
            presence.join(db, db.get_one(User, room.ids[name]), room.session_id, sid)
        db.commit()
        before = db.get_one(CircleSession, room.session_id).version

        session_ids, changes = presence.depart(db, room.di, room.circle_id)
        db.commit()

        assert session_ids == [room.session_id]
        assert [c.version for c in changes] == [before + 1, before + 2]
        members = [c.change["member"] for c in changes if c.change is not None]
        assert [(m["id"], m["connections"]) for m in members] == [(room.di, 1), (room.di, 0)]
        left = db.scalars(select(Presence.sid).where(Presence.session_id == room.session_id))
        assert sorted(left) == ["ada-tab"]
        assert presence.depart(db, room.di, room.circle_id) == ([room.session_id], [])
