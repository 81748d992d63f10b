"""The realtime edge through a real Socket.IO client against live server processes.

Who may connect (signed-in members only, and not with a logged-out cookie), the ``whoami``
check, the ack contract for domain errors, and — with Redis — events crossing processes
through the message queue and a login rate limit shared by several processes.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import socketio
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from sqlalchemy import create_engine, text

from circles.errors import NotFound
from circles.views import vendor
from realtime.acks import UNEXPECTED, acked
from realtime.connection import LOG_IN_FIRST, member_room
from tests.support.live import LiveServer, LiveSession, http_session, server_pool
from tests.support.live_socket import Member, connected
from tests.support.services import REDIS_URL, require_redis


def member_id(server: LiveServer, email: str) -> int:
    """Look the id up in the server's database, as an operator would."""
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            found = conn.execute(text('SELECT id FROM "user" WHERE email = :e'), {"e": email})
            return int(found.scalar_one())
    finally:
        engine.dispose()


def unique_email(name: str) -> str:
    """Tests share a module's server, so each signs up people of its own."""
    return f"{name}-{secrets.token_hex(4)}@example.org"


def signed_up(server: LiveServer, email: str, name: str) -> LiveSession:
    session = http_session(server)
    session.signup(email, name)
    return session


def community_of(facilitator: LiveSession, *members: LiveSession) -> int:
    """A facilitator starts a community; members join through the invite link on its page."""
    started = facilitator.post_form("/communities/new", {"name": "Night cohort"})
    assert started.status_code == 302, started.text
    found = re.search(r"/communities/(\d+)", started.headers["Location"])
    assert found, started.headers["Location"]
    community_id = int(found.group(1))
    invite = re.search(r"/join/([\w-]+)", facilitator.get(f"/communities/{community_id}").text)
    assert invite, "no invite link on the facilitator's community page"
    for member in members:
        assert member.post_form(f"/join/{invite.group(1)}").status_code == 302
    return community_id


def form_circle(facilitator: LiveSession, community_id: int, name: str,
                member_ids: list[int]) -> str:
    """Form a circle through the facilitator's form; returns the new circle's path."""
    formed = facilitator.post_form(f"/communities/{community_id}/circles/new",
                                   {"name": name, "members": member_ids})
    assert formed.status_code == 302, formed.text
    return str(urlsplit(formed.headers["Location"]).path)


def placed_notice(path: str, name: str) -> tuple[str, dict[str, Any]]:
    return "circle_placed", {"circle_id": int(path.rsplit("/", 1)[1]), "name": name,
                             "url": path}


# --- one process --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           migrated_sqlite: Path) -> Iterator[LiveServer]:
    """One live server for this module's single-process tests (each signs up its own
    people); its sign-up limit is raised for the many sign-ups from one address."""
    with server_pool(tmp_path_factory.mktemp("realtime"), migrated_sqlite) as start:
        yield start(FLASK_SIGNUP_RATE_LIMIT="100 per minute")


@pytest.mark.live
def test_anonymous_socket_is_refused_with_a_reason(server: LiveServer) -> None:
    visitor = Member(server, cookie=None)
    with pytest.raises(socketio.exceptions.ConnectionError):
        visitor.connect()
    assert visitor.refusals == [{"message": LOG_IN_FIRST}]


@pytest.mark.live
def test_signed_in_member_connects_and_whoami_names_them(server: LiveServer) -> None:
    ada_email = unique_email("ada")
    ada = signed_up(server, ada_email, "Ada Lovelace")
    signed_up(server, unique_email("grace"), "Grace Hopper")  # another member, not answered
    with connected(server, ada) as socket:
        assert socket.call("whoami") == {
            "ok": True, "member_id": member_id(server, ada_email), "display_name": "Ada Lovelace",
        }


@pytest.mark.live
def test_a_failing_handler_still_answers_its_ack(server: LiveServer) -> None:
    ada = signed_up(server, unique_email("ada"), "Ada Lovelace")
    with connected(server, ada) as socket:
        # Three arguments where whoami takes at most one: the handler raises TypeError.
        assert socket.call("whoami", (1, 2, 3)) == {"ok": False, "error": UNEXPECTED}
        assert socket.call("whoami")["ok"] is True  # and the socket keeps working


@pytest.mark.live
def test_logged_out_cookie_is_refused_on_reconnect(server: LiveServer) -> None:
    ada = signed_up(server, unique_email("ada"), "Ada Lovelace")
    old_cookie = ada.cookie_header()
    with connected(server, ada) as open_socket:
        assert open_socket.call("whoami")["ok"] is True
        ada.logout()  # which ends the open socket too (tests/live/test_logout_sockets.py)

    replayed = Member(server, old_cookie)
    with pytest.raises(socketio.exceptions.ConnectionError):
        replayed.connect()
    assert replayed.refusals == [{"message": LOG_IN_FIRST}]


@pytest.mark.live
def test_forming_a_circle_tells_its_members_and_nobody_else(server: LiveServer) -> None:
    fac_email, ada_email = unique_email("fac"), unique_email("ada")
    facilitator = signed_up(server, fac_email, "Fran Facilitator")
    ada = signed_up(server, ada_email, "Ada Lovelace")
    grace = signed_up(server, unique_email("grace"), "Grace Hopper")
    community_id = community_of(facilitator, ada, grace)
    with connected(server, ada) as ada_socket, connected(server, grace) as grace_socket:
        path = form_circle(facilitator, community_id, "Night owls",
                           [member_id(server, fac_email), member_id(server, ada_email)])
        assert ada_socket.next_event() == placed_notice(path, "Night owls")
        grace_socket.call("whoami")  # a round trip: anything sent to her has arrived by now
        assert grace_socket.events.empty()


def test_domain_errors_become_error_acks(app: Flask, make_user: Any) -> None:
    user = make_user()

    @acked
    def handler(found: bool) -> dict[str, Any]:
        if not found:
            raise NotFound("circle")
        return {"circle": 1}

    user.login_token = "a-login-session"  # what load_login sets for a live login
    with app.test_request_context():
        login_user(user)
        assert handler(True) == {"ok": True, "circle": 1}
        assert handler(False) == {"ok": False, "error": "That circle was not found."}


# --- the browser's side: the client library and the page that loads it -------------------


def test_socket_io_client_is_served_from_node_modules(client: FlaskClient) -> None:
    with client.get("/vendor/socket.io.min.js") as response:  # closes the file it streams
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert b"socket.io" in response.data.lower()


@pytest.mark.parametrize("name", ["socket.io.js", "socket.io.min.js.map", "package.json"])
def test_vendor_serves_only_whitelisted_files(client: FlaskClient, name: str) -> None:
    assert client.get(f"/vendor/{name}").status_code == 404


def test_vendor_explains_a_missing_npm_install(client: FlaskClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(vendor.WHITELIST, "socket.io.min.js", Path("node_modules/not-installed"))
    response = client.get("/vendor/socket.io.min.js")
    assert response.status_code == 404
    assert "run `npm ci`" in response.get_data(as_text=True)


def test_live_scripts_load_for_members_only(client: FlaskClient, auth: Any) -> None:
    scripts = ('src="/vendor/socket.io.min.js"', 'src="/static/live.js"')
    anonymous = client.get("/login").get_data(as_text=True)
    assert not any(script in anonymous for script in scripts)
    auth.signup()
    member = client.get("/login").get_data(as_text=True)
    assert all(script in member for script in scripts)


# --- several processes sharing Redis ------------------------------------------------------


@dataclass
class RedisPair:
    """Two server processes on one database, one Socket.IO channel and one rate-limit store."""

    a: LiveServer
    b: LiveServer
    channel: str


@pytest.fixture(scope="module")
def redis_pair(tmp_path_factory: pytest.TempPathFactory,
               migrated_sqlite: Path) -> Iterator[RedisPair]:
    """Channel and key prefix are this module's own; only its keys are deleted afterwards.
    Only the rate-limit test logs in, so the low login limit constrains nothing else."""
    require_redis()
    tag = f"circles-test-{secrets.token_hex(6)}"
    env = {"SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "FLASK_SOCKETIO_CHANNEL": tag,
           "RATELIMIT_STORAGE_URI": REDIS_URL, "FLASK_RATELIMIT_KEY_PREFIX": tag,
           "FLASK_LOGIN_RATE_LIMIT": "3 per minute"}
    try:
        with server_pool(tmp_path_factory.mktemp("redis"), migrated_sqlite) as start:
            yield RedisPair(start(**env), start(**env), channel=tag)
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for key in client.scan_iter(match=f"*{tag}*"):
                client.delete(key)
        finally:
            client.close()


def wait_for_subscribers(channel: str, count: int) -> None:
    """A process subscribes once its first socket connects; publish only after that."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for _ in range(100):
            numsub = dict(client.pubsub_numsub(channel))
            if numsub.get(channel.encode(), 0) >= count:
                return
            time.sleep(0.05)
        pytest.fail(f"no process subscribed to {channel}")
    finally:
        client.close()


EMITTER = """
import json, sys
from flask_socketio import SocketIO
url, channel, room, data = sys.argv[1:]
SocketIO(message_queue=url, channel=channel).emit("circle_placed", json.loads(data), to=room)
"""


@pytest.mark.live
@pytest.mark.redis
def test_events_cross_processes_through_the_redis_queue(redis_pair: RedisPair) -> None:
    fac_email, ada_email = unique_email("fac"), unique_email("ada")
    ada = signed_up(redis_pair.a, ada_email, "Ada Lovelace")
    facilitator = signed_up(redis_pair.b, fac_email, "Fran Facilitator")
    community_id = community_of(facilitator, ada)
    ada_id = member_id(redis_pair.a, ada_email)
    with connected(redis_pair.a, ada) as socket:
        wait_for_subscribers(redis_pair.channel, 1)
        path = form_circle(facilitator, community_id, "Across processes",
                           [member_id(redis_pair.b, fac_email), ada_id])
        assert socket.next_event() == placed_notice(path, "Across processes")

        data = {"circle_id": 99, "name": "From a worker", "url": "/circles/99"}
        subprocess.run([sys.executable, "-c", EMITTER, REDIS_URL, redis_pair.channel,
                        member_room(ada_id), json.dumps(data)], check=True, timeout=20)
        assert socket.next_event() == ("circle_placed", data)


@pytest.mark.live
@pytest.mark.redis
def test_login_rate_limit_is_shared_by_processes(redis_pair: RedisPair) -> None:
    sessions = [http_session(redis_pair.a), http_session(redis_pair.b)]
    statuses = [sessions[n % 2].login("nobody@example.org", "wrong password!").status_code
                for n in range(4)]
    assert statuses == [422, 422, 422, 429]
