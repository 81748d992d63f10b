"""Live connections only their owner can use, at unit level (docs/security.md, "Live
connections"): the Engine.IO owner check's decision for every kind of request, and socket
slots counted in one process and across processes through Redis.

The same promises through real clients against live servers are in
tests/live/test_live_connections.py.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from circles.models import User
from realtime import ownership
from realtime.acks import LOGIN_ENDED
from realtime.ownership import CONNECTED, NOT_YOURS, OWNER, OwnerCheck
from realtime.processes import DrainGate
from realtime.rooms import login_room, member_room
from realtime.slots import TOO_MANY_FOR_LOGIN, TOO_MANY_FOR_MEMBER, Caps, Slot, SocketSlots
from tests.conftest import AuthActions
from tests.support.services import REDIS_URL, require_redis

POLL = "/socket.io/?EIO=4&transport=polling"


# --- the owner check ------------------------------------------------------------------------


def logged_in(app: Flask, user: User) -> tuple[FlaskClient, str]:
    """A browser logged in as ``user`` through the real form, and its login token."""
    browser = app.test_client()
    assert AuthActions(browser).login(user.email).status_code == 302
    with browser.session_transaction() as cookie:
        return browser, str(cookie[ownership.SESSION_KEY])


def planted(app: Flask, owner: str | None, *, connected: bool = True,
            session_over: bool = False) -> str:
    """A connection as python-socketio keeps it: the handshake's environ under its Engine.IO
    sid (with the owner the check bound it to) and, while connected, a Socket.IO session
    (``session_over``: connected once, its Socket.IO session ended since)."""
    server = app.extensions["socketio"].server
    eio_sid = secrets.token_urlsafe(15)
    server.environ[eio_sid] = {OWNER: owner, **({CONNECTED: True} if connected else {})}
    if connected and not session_over:
        server.manager.connect(eio_sid, "/")
    return eio_sid


@pytest.fixture
def ended(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Socket.IO sids the check ends (recorded instead of disconnecting a planted one)."""
    calls: list[str] = []
    monkeypatch.setattr(OwnerCheck, "end", lambda self, sid: calls.append(sid))
    return calls


def answer(browser: FlaskClient, method: str, eio_sid: str) -> tuple[int, Any]:
    url = f"{POLL}&sid={eio_sid}"
    response = (browser.get(url) if method == "GET" else
                browser.post(url, data='42["whoami"]', content_type="text/plain"))
    return response.status_code, json.loads(response.data)


# Who opened the connection, who asks with its sid, and what the check answers. A request
# that passes reaches Engine.IO, which does not know a planted sid: 400 "Invalid session".
CASES = [
    ("ada", "ada", 400, None),
    ("ada", None, 403, NOT_YOURS),            # the sid alone, no cookie
    ("ada", "ben", 403, NOT_YOURS),           # another member's cookie
    ("ada", "ada's phone", 403, NOT_YOURS),   # the same member's other login
    (None, None, 400, None),                  # anonymous: the connect handler refuses it
    (None, "ada", 403, NOT_YOURS),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("opener", "asker", "status", "message"), CASES)
def test_only_the_login_that_opened_a_connection_may_use_its_sid(
        app: Flask, make_user: Callable[..., User], ended: list[str], method: str,
        opener: str | None, asker: str | None, status: int, message: str | None) -> None:
    ada, ben = make_user(), make_user()
    browsers = {"ada": logged_in(app, ada), "ben": logged_in(app, ben),
                "ada's phone": logged_in(app, ada), None: (app.test_client(), None)}
    owner_token = browsers[opener][1]
    eio_sid = planted(app, login_room(owner_token) if owner_token else None)
    code, body = answer(browsers[asker][0], method, eio_sid)
    assert code == status
    assert body == message if message else "Invalid session" in body
    assert ended == []  # a stranger's request never ends the owner's socket


def logged_out_cookie(app: Flask, browser: FlaskClient) -> FlaskClient:
    """Log ``browser`` out through the real form, and give back a client that still sends
    its old cookie (a copied cookie; the socket's revocation instruction never came)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = browser.get_cookie(name)
    assert cookie is not None
    assert AuthActions(browser).logout().status_code == 302
    replay = app.test_client()
    replay.set_cookie(name, cookie.value)
    return replay


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_revoked_login_is_refused_and_its_socket_ended(
        app: Flask, make_user: Callable[..., User], ended: list[str], method: str) -> None:
    browser, token = logged_in(app, make_user())
    eio_sid = planted(app, login_room(token))
    replay = logged_out_cookie(app, browser)
    assert answer(replay, method, eio_sid) == (403, LOGIN_ENDED)
    server = app.extensions["socketio"].server
    assert ended == [server.manager.sid_from_eio_sid(eio_sid, "/")]


def test_a_revoked_login_is_refused_after_its_socket_io_session_ended(
        app: Flask, make_user: Callable[..., User], ended: list[str]) -> None:
    """The Engine.IO connection outlives the Socket.IO session by a moment, with packets
    still queued: a revoked login's cookie reads none of them."""
    browser, token = logged_in(app, make_user())
    eio_sid = planted(app, login_room(token), session_over=True)
    replay = logged_out_cookie(app, browser)
    assert answer(replay, "GET", eio_sid) == (403, LOGIN_ENDED)
    assert ended == []  # nothing left to end


def test_before_the_connect_a_revoked_login_is_left_to_the_connect_handler(
        app: Flask, make_user: Callable[..., User], ended: list[str]) -> None:
    """Its CONNECT packet must arrive, so the client hears why (``connect_error``)."""
    browser, token = logged_in(app, make_user())
    eio_sid = planted(app, login_room(token), connected=False)
    replay = logged_out_cookie(app, browser)
    assert answer(replay, "POST", eio_sid)[0] == 400  # passed on to Engine.IO
    assert ended == []


def test_a_handshake_binds_the_new_connection_to_its_cookie(
        app: Flask, make_user: Callable[..., User]) -> None:
    browser, token = logged_in(app, make_user())
    opened = browser.get(POLL)
    assert opened.status_code == 200
    eio_sid = json.loads(opened.data[1:])["sid"]  # "0{...}": Engine.IO's open packet
    assert app.extensions["socketio"].server.environ[eio_sid][OWNER] == login_room(token)
    stranger = app.test_client().post(f"{POLL}&sid={eio_sid}", data="40",
                                      content_type="text/plain")
    assert (stranger.status_code, json.loads(stranger.data)) == (403, NOT_YOURS)
    connect = browser.post(f"{POLL}&sid={eio_sid}", data="40", content_type="text/plain")
    assert connect.status_code == 200 and connect.data == b"OK"


def test_pages_and_unknown_paths_pass_untouched(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/socket.io.js").status_code == 404  # not the Engine.IO path
    assert client.options(f"{POLL}&sid=whatever").status_code == 200  # Engine.IO's answer


def test_the_check_sits_in_front_of_flask_socketio(app: Flask) -> None:
    check = app.wsgi_app
    assert isinstance(check, OwnerCheck) and check.path == "/socket.io/"
    gate = check.wsgi_app  # then the drain's gate (realtime.processes), then Flask-SocketIO
    assert isinstance(gate, DrainGate) and gate.path == "/socket.io/"
    assert gate.wsgi_app is app.extensions["socketio"].sockio_mw


# --- socket slots ---------------------------------------------------------------------------


@pytest.mark.parametrize(("open_member", "open_login", "refusal"), [
    (0, 0, None),
    (2, 2, None),
    (3, 0, TOO_MANY_FOR_MEMBER % {"cap": 3}),
    (2, 4, TOO_MANY_FOR_LOGIN % {"cap": 4}),
    (5, 5, TOO_MANY_FOR_MEMBER % {"cap": 3}),  # the member's cap is named first
])
def test_caps_refuse_the_socket_after_the_last(open_member: int, open_login: int,
                                                refusal: str | None) -> None:
    assert Caps(member=3, login=4).refusal(open_member, open_login) == refusal


def test_a_cap_of_zero_is_no_cap() -> None:
    assert Caps(member=0, login=0).refusal(10_000, 10_000) is None


def test_refusals_say_what_to_do_in_plain_words() -> None:
    text = TOO_MANY_FOR_MEMBER % {"cap": 10}
    assert text.startswith("You have 10 live connections open already") and "Close" in text
    assert "This browser has 10" in TOO_MANY_FOR_LOGIN % {"cap": 10}


def test_one_process_counts_members_and_logins_and_frees_on_give_back() -> None:
    slots = SocketSlots(Caps(member=3, login=2))
    ada, phone, laptop = member_room(1), login_room("phone"), login_room("laptop")
    first, second = slots.take(ada, phone), slots.take(ada, phone)
    assert isinstance(first, Slot) and isinstance(second, Slot) and not first.shared
    assert slots.take(ada, phone) == TOO_MANY_FOR_LOGIN % {"cap": 2}
    third = slots.take(ada, laptop)
    assert isinstance(third, Slot)
    assert slots.take(ada, laptop) == TOO_MANY_FOR_MEMBER % {"cap": 3}
    assert isinstance(slots.take(member_room(2), laptop), Slot)  # another member is not held up
    slots.give_back(first)
    assert slots.open_sockets(ada) == 2 and slots.open_sockets(phone) == 1
    assert isinstance(slots.take(ada, phone), Slot)


@pytest.fixture
def channel() -> Iterator[str]:
    """A Redis channel of this test's own (the keys live under it), removed afterwards."""
    require_redis()
    name = f"circles-test-slots-{secrets.token_hex(4)}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.delete(f"{name}:sockets")


def shared(channel: str, *, member: int = 3, login: int = 10, beat: float = 10.0) -> SocketSlots:
    return SocketSlots(Caps(member=member, login=login), url=REDIS_URL, channel=channel,
                       beat=beat)


def test_processes_share_the_counts_through_redis(channel: str) -> None:
    one, two = shared(channel), shared(channel)  # two server processes
    ada = member_room(1)
    taken = [one.take(ada, login_room("a")), one.take(ada, login_room("b")),
             two.take(ada, login_room("c"))]
    assert all(isinstance(slot, Slot) and slot.shared for slot in taken)
    assert two.take(ada, login_room("d")) == TOO_MANY_FOR_MEMBER % {"cap": 3}
    assert one.take(ada, login_room("d")) == TOO_MANY_FOR_MEMBER % {"cap": 3}
    assert isinstance(taken[0], Slot)
    one.give_back(taken[0])  # a socket on process one closes: process two may open one
    assert isinstance(two.take(ada, login_room("d")), Slot)


def test_a_dead_processes_slots_free_themselves_within_three_beats(channel: str) -> None:
    dying, survivor = shared(channel, beat=0.1), shared(channel)
    ada = member_room(1)
    assert all(isinstance(dying.take(ada, login_room(str(n))), Slot) for n in range(3))
    assert survivor.take(ada, login_room("x")) == TOO_MANY_FOR_MEMBER % {"cap": 3}
    time.sleep(0.5)  # no beat renews the dying process's counts (3 beats: 0.3 s)
    assert isinstance(survivor.take(ada, login_room("x")), Slot)


def test_a_paused_process_writes_its_counts_again_on_its_next_beat(channel: str) -> None:
    paused, other = shared(channel, beat=0.1), shared(channel)
    ada = member_room(1)
    assert all(isinstance(paused.take(ada, login_room(str(n))), Slot) for n in range(3))
    time.sleep(0.5)  # taken for dead, but its three sockets are still open
    paused.renew()
    assert other.take(ada, login_room("x")) == TOO_MANY_FOR_MEMBER % {"cap": 3}


def test_a_clean_exit_frees_the_process_slots_at_once(channel: str) -> None:
    leaving, staying = shared(channel), shared(channel)
    ada = member_room(1)
    assert all(isinstance(leaving.take(ada, login_room(str(n))), Slot) for n in range(3))
    leaving.close()
    assert isinstance(staying.take(ada, login_room("x")), Slot)


def test_without_redis_a_process_still_caps_its_own_sockets() -> None:
    app = Flask(__name__)
    slots = SocketSlots(Caps(member=2, login=10), url="redis://127.0.0.1:1/0")  # nothing there
    with app.app_context():
        taken = [slots.take(member_room(1), login_room(str(n))) for n in range(3)]
    assert [isinstance(slot, Slot) and not slot.shared for slot in taken[:2]] == [True, True]
    assert taken[2] == TOO_MANY_FOR_MEMBER % {"cap": 2}


def test_caps_come_from_config(app: Flask) -> None:
    assert Caps.from_config(app) == Caps(member=10, login=10)
