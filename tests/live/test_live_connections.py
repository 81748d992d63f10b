"""Live connections only their owner can use, through real python-socketio clients against
live servers (docs/realtime.md, "Live connections"; docs/security.md, "Live connections").

An attacker who learns a member's Engine.IO sid (a polling URL in a log) replays it with
plain HTTP: without a cookie, with another member's cookie, or after the member logged
out, and tries the websocket upgrade with it. Then the socket caps: the 11th socket of a
member is refused with its message, slots come back on disconnect, a login's cap leaves the
member's other logins alone, and with Redis the count spans processes and recovers from a
``kill -9``. Handler-level checks are in tests/security/test_live_connections.py.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio
import websocket
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.models import AgendaItem, CircleSession, Membership, User, utcnow
from realtime.acks import LOGIN_ENDED
from realtime.client import LiveClient
from realtime.ownership import NOT_YOURS
from realtime.slots import TOO_MANY_FOR_LOGIN, TOO_MANY_FOR_MEMBER
from tests.live.test_realtime import member_id, signed_up, unique_email
from tests.support.asyncio_thread import run_async
from tests.support.live import LiveServer, LiveSession, http_session, server_pool
from tests.support.live_socket import WAIT, Member
from tests.support.services import REDIS_URL, require_redis

RAISED_LIMITS = {"FLASK_SIGNUP_RATE_LIMIT": "100 per minute",
                 "FLASK_LOGIN_RATE_LIMIT": "100 per minute"}
POLLING = ["polling"]  # the transport whose URLs carry the sid on every request


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           migrated_sqlite: Path) -> Iterator[LiveServer]:
    with server_pool(tmp_path_factory.mktemp("owners"), migrated_sqlite) as start:
        yield start(**RAISED_LIMITS)


@dataclass
class Pair:
    ada: LiveSession
    ben: LiveSession
    ada_email: str
    session_id: int


def pair_in_a_circle(server: LiveServer) -> Pair:
    """Ada and Ben, in one circle with a scheduled session (whose agenda both may add to)."""
    ada_email, ben_email = unique_email("ada"), unique_email("ben")
    ada, ben = signed_up(server, ada_email, "Ada"), signed_up(server, ben_email, "Ben")
    ids = [member_id(server, ada_email), member_id(server, ben_email)]
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            community = create_community(db, db.get_one(User, ids[0]), name="Replay cohort")
            db.add(Membership(community=community, user_id=ids[1], role="member"))
            db.flush()
            circle = create_circle(db, community, db.get_one(User, ids[0]), name="Owners",
                                   member_ids=ids)
            session = CircleSession(circle_id=circle.id, title="Session", starts_at=utcnow())
            db.add(session)
            db.commit()
            return Pair(ada, ben, ada_email, session.id)
    finally:
        engine.dispose()


def agenda_titles(server: LiveServer, session_id: int) -> list[str]:
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            return list(db.scalars(select(AgendaItem.title)
                                   .where(AgendaItem.session_id == session_id)))
    finally:
        engine.dispose()


def eio_url(server: LiveServer, sid: str) -> str:
    return f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"


def replay_post(server: LiveServer, sid: str, cookie: str | None, session_id: int,
                title: str) -> requests.Response:
    """An Engine.IO POST carrying one Socket.IO event, as an attacker would craft it."""
    event = json.dumps(["live:agenda_add", {"session_id": session_id, "title": title}])
    headers = {"Content-Type": "text/plain;charset=UTF-8", **({"Cookie": cookie} if cookie else {})}
    return requests.post(eio_url(server, sid), data=f"42{event}", headers=headers, timeout=WAIT)


def replay_get(server: LiveServer, sid: str, cookie: str | None) -> requests.Response:
    return requests.get(eio_url(server, sid), headers={"Cookie": cookie} if cookie else {},
                        timeout=WAIT)


def titles_after(server: LiveServer, session_id: int, wanted: str) -> list[str]:
    """The agenda once ``wanted`` is there, or after a moment (events are handled apace)."""
    deadline = time.monotonic() + 2.0
    while wanted not in (titles := agenda_titles(server, session_id)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    return titles


# --- the sid is no credential -----------------------------------------------------------------


@pytest.mark.live
def test_a_replayed_sid_without_its_login_reads_and_sends_nothing(server: LiveServer) -> None:
    pair = pair_in_a_circle(server)
    victim = Member(server, pair.ada.cookie_header(), transports=POLLING)
    victim.connect()
    try:
        sid, session_id = victim.client.eio.sid, pair.session_id
        for cookie in (None, pair.ben.cookie_header()):  # no cookie; a fellow member's cookie
            read = replay_get(server, sid, cookie)
            assert (read.status_code, read.json()) == (403, NOT_YOURS)  # no packet in it
            sent = replay_post(server, sid, cookie, session_id, "Forged")
            assert (sent.status_code, sent.json()) == (403, NOT_YOURS)
        assert victim.call("whoami")["ok"] is True  # the refusals left her socket alone
        assert "Forged" not in titles_after(server, session_id, "Forged")
        # The same request with her own cookie is what her browser sends: it is accepted.
        mine = replay_post(server, sid, pair.ada.cookie_header(), session_id, "Hers")
        assert mine.status_code == 200
        assert "Hers" in titles_after(server, session_id, "Hers")
    finally:
        victim.disconnect()


@pytest.mark.live
def test_the_same_members_other_login_cannot_use_the_sid(server: LiveServer) -> None:
    pair = pair_in_a_circle(server)
    victim = Member(server, pair.ada.cookie_header(), transports=POLLING)
    victim.connect()
    try:
        phone = http_session(server)
        assert phone.login(pair.ada_email).status_code == 302
        sent = replay_post(server, victim.client.eio.sid, phone.cookie_header(),
                           pair.session_id, "Phone")
        assert (sent.status_code, sent.json()) == (403, NOT_YOURS)
        assert "Phone" not in titles_after(server, pair.session_id, "Phone")
    finally:
        victim.disconnect()


@pytest.mark.live
def test_the_websocket_upgrade_needs_the_login_too(server: LiveServer) -> None:
    pair = pair_in_a_circle(server)
    victim = Member(server, pair.ada.cookie_header(), transports=POLLING)
    victim.connect()
    try:
        url = server.url.replace("http", "ws", 1)
        target = f"{url}/socket.io/?EIO=4&transport=websocket&sid={victim.client.eio.sid}"
        for cookie in (None, pair.ben.cookie_header()):
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                websocket.create_connection(target, cookie=cookie, timeout=WAIT)
            assert refused.value.status_code == 403
        assert victim.call("whoami")["ok"] is True
    finally:
        victim.disconnect()


@pytest.mark.live
def test_after_logout_the_sid_is_dead(server: LiveServer) -> None:
    pair = pair_in_a_circle(server)
    cookie = pair.ada.cookie_header()
    victim = Member(server, cookie, transports=POLLING)
    victim.connect()
    sid = victim.client.eio.sid
    pair.ada.logout()
    for attempt in (replay_get(server, sid, cookie),
                    replay_post(server, sid, cookie, pair.session_id, "Posthumous")):
        # Ended by the logout (Engine.IO: "Invalid session", 400), or refused by the check
        # as a revoked login (403) if the end has not reached the socket yet.
        assert attempt.status_code in (400, 403), attempt.text
        assert attempt.status_code == 400 or attempt.json() == LOGIN_ENDED
    assert "Posthumous" not in titles_after(server, pair.session_id, "Posthumous")
    victim.client.disconnect()


@pytest.mark.live
def test_the_reference_client_sends_its_login_with_every_polling_request(
        server: LiveServer) -> None:
    """Browsers send the cookie by themselves; ``realtime.client.LiveClient`` must too
    (python-engineio sends connect()'s headers with the handshake only)."""
    pair = pair_in_a_circle(server)

    async def scenario() -> dict[str, Any]:
        client = LiveClient(server.url, pair.ada.cookie_header(), pair.session_id,
                            transports=POLLING, reconnection=False)
        await client.connect()  # live:join, over polling requests
        try:
            return await client.call("live:agenda_add", {"title": "Over polling"})
        finally:
            await client.disconnect()

    assert "item_id" in run_async(scenario())
    assert "Over polling" in agenda_titles(server, pair.session_id)


@pytest.mark.live
def test_the_reference_clients_goodbye_over_polling_goes_out_right_after_a_change(
        server: LiveServer) -> None:
    """python-engineio's polling writer looks at the connection's state only between two
    sends. An ack can come back through the long-poll before the POST that carried the change
    has its answer: a disconnect then ended the writer without the goodbye, and the server
    answered the next long-poll (and dropped the connection) only at its next ping, 25 s
    later. The reference client's disconnect waits until what it queued went out, so the
    server hears the goodbye and answers the long-poll at once. (Without that wait, most runs
    of these ten failed.)"""
    pair = pair_in_a_circle(server)

    async def scenario() -> None:
        for attempt in range(10):
            client = LiveClient(server.url, pair.ada.cookie_header(), pair.session_id,
                                transports=POLLING, reconnection=False)
            await client.connect()
            # Acknowledged (through the long-poll) while its POST may still be under way.
            await client.call("live:agenda_add", {"title": f"Leaving {attempt}"})
            await asyncio.wait_for(client.disconnect(), WAIT)

    run_async(scenario())


# --- socket caps --------------------------------------------------------------------------


def open_sockets(server: LiveServer, cookie: str, count: int, stack: ExitStack, *,
                 within: float = 0.0) -> list[Member]:
    """``count`` sockets with ``cookie``, each accepted (retried for up to ``within``
    seconds: sockets closed just before may not have given their slots back yet); closed
    when ``stack`` closes."""
    sockets = []
    for _ in range(count):
        deadline = time.monotonic() + within
        while True:
            socket = Member(server, cookie)
            try:
                socket.connect()
                break
            except socketio.exceptions.ConnectionError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        stack.callback(lambda s=socket: s.client.connected and s.disconnect())
        sockets.append(socket)
    return sockets


def refusal_of(server: LiveServer, cookie: str) -> object:
    """Try one more socket: the ``connect_error`` data it was refused with (None: accepted,
    and closed again)."""
    socket = Member(server, cookie)
    try:
        socket.connect()
    except socketio.exceptions.ConnectionError:
        return socket.refusals[0] if socket.refusals else "refused without a connect_error"
    socket.disconnect()
    return None


def accepted_within(server: LiveServer, cookie: str, seconds: float) -> bool:
    """A socket is accepted again before ``seconds`` pass (the server frees slots on its own
    time: a disconnect, or a dead process's counts expiring)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if refusal_of(server, cookie) is None:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.live
def test_the_eleventh_socket_of_a_member_is_refused_and_a_closed_one_frees_its_slot(
        server: LiveServer) -> None:
    cookie = signed_up(server, unique_email("tabs"), "Many Tabs").cookie_header()
    full = {"message": TOO_MANY_FOR_MEMBER % {"cap": 10}}
    with ExitStack() as stack:
        sockets = open_sockets(server, cookie, 10, stack)
        assert all(s.call("whoami")["ok"] for s in sockets)
        assert refusal_of(server, cookie) == full
        sockets[0].disconnect()
        assert accepted_within(server, cookie, 2.0)
    # Every socket closed: the member has all ten slots again.
    with ExitStack() as stack:
        open_sockets(server, cookie, 10, stack, within=3.0)
        assert refusal_of(server, cookie) == full


@pytest.mark.live
def test_a_logins_cap_leaves_the_members_other_logins_alone(
        tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> None:
    with server_pool(tmp_path_factory.mktemp("login-cap"), migrated_sqlite) as start:
        capped = start(FLASK_SOCKETIO_MAX_SOCKETS_PER_LOGIN="2", **RAISED_LIMITS)
        email = unique_email("ada")
        laptop = signed_up(capped, email, "Ada").cookie_header()
        phone = http_session(capped)
        assert phone.login(email).status_code == 302
        with ExitStack() as stack:
            open_sockets(capped, laptop, 2, stack)
            assert refusal_of(capped, laptop) == {"message": TOO_MANY_FOR_LOGIN % {"cap": 2}}
            open_sockets(capped, phone.cookie_header(), 2, stack)


@pytest.mark.live
def test_with_redis_the_cap_spans_processes_and_a_killed_ones_slots_come_back(
        tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> None:
    require_redis()
    tag = f"circles-test-{secrets.token_hex(6)}"
    env = {"SOCKETIO_MESSAGE_QUEUE": REDIS_URL, "FLASK_SOCKETIO_CHANNEL": tag,
           "FLASK_SOCKETIO_MAX_SOCKETS_PER_MEMBER": "4", "FLASK_LIVE_PROCESS_BEAT": "0.5",
           **RAISED_LIMITS}
    full = {"message": TOO_MANY_FOR_MEMBER % {"cap": 4}}
    try:
        with server_pool(tmp_path_factory.mktemp("slots-redis"), migrated_sqlite) as start, \
                ExitStack() as stack:
            a, b = start(**env), start(**env)
            cookie = signed_up(a, unique_email("ada"), "Ada").cookie_header()
            on_a = open_sockets(a, cookie, 2, stack)
            open_sockets(b, cookie, 2, stack)
            assert refusal_of(a, cookie) == refusal_of(b, cookie) == full
            on_a[0].disconnect()  # a socket closing on one process frees a slot on the other
            assert accepted_within(b, cookie, 2.0)
            a.kill()  # its remaining socket never says goodbye: it counts for 3 more beats
            open_sockets(b, cookie, 1, stack)  # 3 on b + 1 on the dead a: full
            assert accepted_within(b, cookie, 5.0)  # until the dead process's count expired
            open_sockets(b, cookie, 1, stack, within=2.0)
            assert refusal_of(b, cookie) == full  # and the live ones, renewed, still count
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{tag}*"):
            client.delete(key)
        client.close()
