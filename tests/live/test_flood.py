"""Flood control of member events: the token bucket, the guard's verdicts, the check coming
before any database work, and — through real clients on a live server — a flooder cut off
within a second while a well-behaved member of the same room carries on undisturbed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import socketio
from flask import Flask
from flask_socketio import SocketIOTestClient

from circles.members import logins as login_store
from realtime import flood
from realtime.flood import FloodGuard, Limits, TokenBucket, Verdict
from tests.conftest import AuthActions
from tests.live.test_live_session_flow import Seat, circle_with_session, people
from tests.support.live import LiveServer, ServerFactory
from tests.support.live_socket import WAIT, Member

TOO_FAST = {"ok": False, "error": flood.TOO_FAST}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- the bucket and the guard -----------------------------------------------------------------


def test_bucket_gives_its_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2, burst=3, stamp=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.25) is False  # half a token so far
    assert bucket.take(0.5) is True  # one token after 0.5 s at 2/s
    assert bucket.take(0.5) is False
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]  # never > burst


def test_bucket_is_idle_once_full_again() -> None:
    bucket = TokenBucket(rate=1, burst=2, stamp=0.0)
    bucket.take(0.0)
    assert bucket.idle(0.5) is False
    assert bucket.idle(1.0) is True


def guard(clock: Clock, *, cutoff: int = 4) -> FloodGuard:
    return FloodGuard(Limits(per_socket=(1, 2), per_member=(2, 3), cutoff=cutoff), clock=clock)


def test_socket_over_its_rate_is_refused_then_cut_off_once() -> None:
    clock = Clock()
    flood_guard = guard(clock, cutoff=3)
    socket = flood_guard.new_socket()
    verdicts = [flood_guard.check(socket) for _ in range(7)]
    assert verdicts == [Verdict.PASS, Verdict.PASS, Verdict.REFUSE, Verdict.REFUSE,
                        Verdict.CUT_OFF, Verdict.REFUSE, Verdict.REFUSE]


def test_refusals_spread_over_seconds_do_not_cut_a_socket_off() -> None:
    clock = Clock()
    flood_guard = guard(clock, cutoff=3)
    socket = flood_guard.new_socket()
    verdicts = []
    for _ in range(6):  # two events every 1.1 s against a rate of 1/s: one refused each time
        verdicts += [flood_guard.check(socket), flood_guard.check(socket)]
        clock.now += 1.1
    assert Verdict.CUT_OFF not in verdicts
    assert verdicts.count(Verdict.REFUSE) >= 4


def test_member_bucket_is_shared_by_the_members_sockets_only() -> None:
    clock = Clock()
    flood_guard = guard(clock, cutoff=100)
    tabs = [flood_guard.new_socket(member_id=7) for _ in range(3)]
    other = flood_guard.new_socket(member_id=8)
    # Each tab's own bucket allows 2, but member 7 has 3 tokens between all tabs.
    verdicts = [flood_guard.check(tab) for tab in tabs for _ in range(2)]
    assert verdicts.count(Verdict.PASS) == 3
    assert [flood_guard.check(other) for _ in range(2)] == [Verdict.PASS, Verdict.PASS]


def test_idle_member_buckets_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flood, "PRUNE_AT", 3)
    clock = Clock()
    flood_guard = guard(clock)
    for member_id in range(3):
        flood_guard.check(flood_guard.new_socket(member_id=member_id))
    clock.now += 10  # every bucket is full again
    flood_guard.check(flood_guard.new_socket(member_id=99))
    assert set(flood_guard._members) == {99}


def test_limits_come_from_config(app: Flask) -> None:
    app.config.update(SOCKETIO_RATE_PER_SID=3, SOCKETIO_BURST_PER_SID=6,
                      SOCKETIO_RATE_PER_MEMBER=5, SOCKETIO_BURST_PER_MEMBER=9,
                      SOCKETIO_FLOOD_CUTOFF=12, SOCKETIO_FLOOD_COOLDOWN=7)
    assert Limits.from_config(app) == Limits(per_socket=(3, 6), per_member=(5, 9), cutoff=12,
                                             cooldown=7)


# --- in process: refused before any database work ---------------------------------------------


def test_refused_events_load_nothing_and_the_flooder_is_disconnected(
        app: Flask, auth: AuthActions, client: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    app.config.update(SOCKETIO_RATE_PER_SID=0.001, SOCKETIO_BURST_PER_SID=3,
                      SOCKETIO_FLOOD_CUTOFF=4)
    flood.init_app(app)
    auth.signup()
    logins = []
    real_load = login_store.load_login
    monkeypatch.setattr(login_store, "load_login",
                        lambda db, token, **kw: logins.append(token) or real_load(db, token, **kw))
    socket: SocketIOTestClient = app.extensions["socketio"].test_client(
        app, flask_test_client=client)
    loads_at_connect = len(logins)

    acks = [socket.emit("whoami", callback=True) for _ in range(7)]
    assert [ack["ok"] for ack in acks[:3]] == [True, True, True]
    assert acks[3:7] == [TOO_FAST] * 4
    # The login (the first database read of an event) was loaded for the 3 passed events only.
    assert len(logins) - loads_at_connect == 3
    assert not socket.is_connected()  # the 4th refusal within a second cut it off
    assert any("socket_flood" in r.getMessage() for r in caplog.records)
    # Reconnecting at once does not reset it: the member waits out the cooldown.
    again: SocketIOTestClient = app.extensions["socketio"].test_client(
        app, flask_test_client=client)
    assert not again.is_connected()
    assert app.extensions[flood.EXTENSION].cooling_down(1) > 0


def test_a_cut_off_member_may_reconnect_after_the_cooldown() -> None:
    now = [0.0]
    guard = FloodGuard(Limits(per_socket=(0.001, 1), per_member=(100, 100), cutoff=2,
                              cooldown=30), clock=lambda: now[0])
    socket = guard.new_socket(member_id=7)
    verdicts = [guard.check(socket) for _ in range(3)]
    assert verdicts == [Verdict.PASS, Verdict.REFUSE, Verdict.CUT_OFF]
    assert guard.cooling_down(7) == 30 and guard.cooling_down(8) == 0
    now[0] = 29.5
    assert guard.cooling_down(7) == 0.5
    now[0] = 30.0
    assert guard.cooling_down(7) == 0


# --- live: a flooder among well-behaved members -----------------------------------------------

FLOOD_ENV = {"FLASK_SIGNUP_RATE_LIMIT": "100 per minute",
             "FLASK_SOCKETIO_RATE_PER_SID": "5", "FLASK_SOCKETIO_BURST_PER_SID": "10",
             "FLASK_SOCKETIO_RATE_PER_MEMBER": "10", "FLASK_SOCKETIO_BURST_PER_MEMBER": "20",
             "FLASK_SOCKETIO_FLOOD_CUTOFF": "20"}


@pytest.mark.live
def test_flooder_is_cut_off_within_a_second_while_the_room_carries_on(
        live_server_factory: ServerFactory) -> None:
    server: LiveServer = live_server_factory(**FLOOD_ENV)
    found = people(server)
    _circle_id, session_id = circle_with_session(
        server, {name: uid for name, (_cookie, uid) in found.items()})
    ben = Seat(server, "ben", found["ben"][0], found["ben"][1])
    cy = Seat(server, "cy", found["cy"][0], found["cy"][1])
    for seat in (ben, cy):
        seat.connect(session_id)
    flooder = Member(server, found["ada"][0])
    cut = threading.Event()
    flooder.client.on("disconnect", lambda *_reason: cut.set())
    flooder.connect()
    try:
        assert flooder.call("live:join", {"session_id": session_id})["ok"] is True
        cy.catch_up(cy.version + 1)  # the flooder's arrival
        flooder_acks: list[Any] = []
        ben_acks: list[Any] = []
        mid_flood = threading.Thread(target=lambda: ben_acks.append(
            ben.socket.call("live:agenda_add", {"session_id": session_id, "title": "Mid-flood"})))
        started = time.monotonic()
        for n in range(80):  # 8× its burst, as fast as the client can send
            if n == 15:  # meanwhile a member of the same room is answered as usual
                mid_flood.start()
            try:
                flooder.client.emit("live:snapshot", {"session_id": session_id},
                                    callback=lambda ack: flooder_acks.append(ack))
            except socketio.exceptions.BadNamespaceError:
                break  # already cut off
        assert cut.wait(WAIT), "the flooder was never disconnected"
        assert time.monotonic() - started < 1.0
        assert TOO_FAST in flooder_acks
        assert "socket_flood" in server.log()
        mid_flood.join(WAIT)
        assert [ack["ok"] for ack in ben_acks] == [True]

        wait_until_gone(cy, found["ada"][1])
        # Ben's mid-flood item may be numbered before or after the flooder's departure: read
        # up to it, so each change below is exactly one new item.
        cy.catch_up(max(cy.version, ben_acks[0]["version"]))
        for n in range(5):  # Ben keeps getting acks, Cy every broadcast, in order
            version = ben.ok("live:agenda_add", title=f"Question {n}")["version"]
            assert [c["type"] for c in cy.catch_up(version)] == ["agenda"]
    finally:
        for seat in (ben, cy):
            seat.socket.disconnect()
        if flooder.client.connected:
            flooder.disconnect()


def wait_until_gone(seat: Seat, member_id: int) -> None:
    """Read ``seat``'s changes until the room has seen ``member_id``'s last connection go."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for change in seat.catch_up(seat.version + 1):
            member = change.get("member") or {}
            if change["type"] == "presence" and member.get("id") == member_id \
                    and member.get("connections") == 0:
                return
    pytest.fail("the room never saw the flooder's connection go")


# --- connects per client address ----------------------------------------------------------------

TOO_MANY_CONNECTS = {"message": flood.TOO_MANY_CONNECTS}


def test_connect_gate_gives_each_address_its_burst_then_its_rate() -> None:
    clock = Clock()
    gate = flood.ConnectGate(rate=2, burst=3, clock=clock)
    assert [gate.admit("10.0.0.1") for _ in range(5)] == [0, 0, 0, 1, 2]
    assert gate.admit("10.0.0.2") == 0  # another address has a bucket of its own
    clock.now += 0.5  # one token at 2/s
    assert [gate.admit("10.0.0.1") for _ in range(2)] == [0, 1]


def test_default_connect_limit_lets_a_reconnect_storm_from_one_address_through(
        app: Flask) -> None:
    """After a crash, 200 clients behind one address (the benchmark's 127.0.0.1, or every
    client behind a proxy) reconnect within a few seconds: none may be refused."""
    clock = Clock()
    gate = flood.ConnectGate(float(app.config["SOCKETIO_CONNECT_RATE"]),
                             float(app.config["SOCKETIO_CONNECT_BURST"]), clock=clock)
    assert all(gate.admit("127.0.0.1") == 0 for _ in range(200))  # all at the same instant
    for _second in range(5):  # and then a storm that goes on at 50 connects a second
        clock.now += 1.0
        assert all(gate.admit("127.0.0.1") == 0 for _ in range(50))


def test_refused_connects_load_nothing_and_are_logged(
        app: Flask, auth: AuthActions, client: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    app.config.update(SOCKETIO_CONNECT_RATE=0.001, SOCKETIO_CONNECT_BURST=2)
    flood.init_app(app)
    auth.signup()
    logins: list[str] = []
    real_load = login_store.load_login
    monkeypatch.setattr(login_store, "load_login",
                        lambda db, token, **kw: logins.append(token) or real_load(db, token, **kw))
    socketio_ = app.extensions["socketio"]
    sockets = [socketio_.test_client(app, flask_test_client=client) for _ in range(4)]
    assert [socket.is_connected() for socket in sockets] == [True, True, False, False]
    assert len(logins) == 2  # the refused connects never read the login
    refusals = [r.getMessage() for r in caplog.records if "socket_connect_flood" in r.getMessage()]
    assert len(refusals) == 1 and "127.0.0.1" in refusals[0]  # a storm is logged, not each


def test_connect_limit_off_when_configured_zero(app: Flask, client: Any,
                                                auth: AuthActions) -> None:
    app.config.update(SOCKETIO_CONNECT_RATE=0.001, SOCKETIO_CONNECT_BURST=1)
    flood.init_app(app)
    app.config.update(SOCKETIO_CONNECT_RATE=0, SOCKETIO_CONNECT_BURST=0)
    flood.init_app(app)
    auth.signup()
    socketio_ = app.extensions["socketio"]
    assert all(socketio_.test_client(app, flask_test_client=client).is_connected()
               for _ in range(5))


@pytest.mark.live
def test_a_client_over_the_connect_limit_is_told_to_wait(
        live_server_factory: ServerFactory) -> None:
    server = live_server_factory(FLASK_SOCKETIO_CONNECT_BURST="3",
                                 FLASK_SOCKETIO_CONNECT_RATE="0.01")
    sockets = [Member(server, None) for _ in range(4)]
    for socket in sockets[:3]:  # anonymous: refused for not being logged in, after the check
        with pytest.raises(socketio.exceptions.ConnectionError):
            socket.connect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        sockets[3].connect()
    assert [s.refusals for s in sockets[:3]] == [
        [{"message": "Log in to Circles before connecting for live updates."}]] * 3
    assert sockets[3].refusals == [TOO_MANY_CONNECTS]
    assert "socket_connect_flood: refused a connect from 127.0.0.1" in server.log()
