"""The live room's Socket.IO handlers, one unit at a time (Flask-SocketIO test client).

Who may join a session's room and emit into it, what each ack carries, where broadcasts
go (the room vs. one member), and validation errors as ``{"ok": false, "error": ...}``. The
real transport is exercised by tests/live/test_live_session_flow.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from circles.extensions import orm
from circles.models import CircleSession, User
from realtime.live import CHANGES
from tests.conftest import AuthActions
from tests.support.live_room import NAMES, Room, build_room

NOT_FOUND = {"ok": False, "error": "That session was not found."}


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def socket_for(app: Flask, user_id: int) -> SocketIOTestClient:
    """A socket carrying the cookie of a member who logged in through the real form."""
    with app.app_context():
        email = orm.session.get_one(User, user_id).email
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    socket: SocketIOTestClient = app.extensions["socketio"].test_client(
        app, flask_test_client=client)
    assert socket.is_connected()
    return socket


def call(socket: SocketIOTestClient, event: str, data: Any = None) -> Any:
    return socket.emit(event, data, callback=True)


def received(socket: SocketIOTestClient, name: str | None = None) -> list[Any]:
    return [event["args"][0] for event in socket.get_received()
            if name is None or event["name"] == name]


def version_of(app: Flask, session_id: int) -> int:
    with app.app_context():
        return orm.session.get_one(CircleSession, session_id).version


@pytest.fixture
def sockets(app: Flask, room: Room) -> dict[str, SocketIOTestClient]:
    """The four members, each joined to the session's room (their inboxes emptied)."""
    opened = {name: socket_for(app, room.ids[name]) for name in NAMES}
    for socket in opened.values():
        assert call(socket, "live:join", {"session_id": room.session_id})["ok"] is True
    for socket in opened.values():
        socket.get_received()
    return opened


def test_join_acks_the_full_snapshot_and_tells_the_room(app: Flask, room: Room) -> None:
    ada, di = socket_for(app, room.ada), socket_for(app, room.di)
    assert call(ada, "live:join", {"session_id": room.session_id})["ok"] is True
    ada.get_received()
    ack = call(di, "live:join", {"session_id": room.session_id})
    assert ack["ok"] is True and ack["version"] == ack["snapshot"]["version"]
    assert ack["snapshot"]["me"] == room.di
    assert {m["id"] for m in ack["snapshot"]["members"]} == {room.ids[n] for n in NAMES}
    [changed] = received(ada, "live:changed")
    assert changed["session_id"] == room.session_id and changed["version"] == ack["version"]
    assert changed["change"]["type"] == "presence"
    assert changed["change"]["member"]["id"] == room.di
    assert changed["change"]["member"]["presence"] == "here"
    # The whole entry, name included: a client may replace Di's entry with it.
    [di_entry] = [m for m in ack["snapshot"]["members"] if m["id"] == room.di]
    assert changed["change"]["member"] == di_entry == {**di_entry, "display_name": "Di"}



@pytest.mark.parametrize(("event_name", "fields"), [
    ("live:ready", {"ready": True}), ("live:hand", {"raised": True})])
def test_a_member_who_has_not_joined_can_neither_say_they_are_ready_nor_raise_a_hand(
        app: Flask, room: Room, event_name: str, fields: dict[str, Any]) -> None:
    """Ready and a hand are each set by one statement that also finds the member's
    attendance (a hand's also reads the queue): without one the change is refused in words,
    nothing is logged, nobody is told and the hands already up stay where they were."""
    ada, di = socket_for(app, room.ada), socket_for(app, room.di)
    sid = {"session_id": room.session_id}
    assert call(ada, "live:join", sid)["ok"] is True
    assert call(ada, "live:start", sid)["ok"] is True
    assert call(ada, "live:hand", {**sid, "raised": True})["ok"] is True
    ada.get_received()
    before = version_of(app, room.session_id)
    assert call(di, event_name, {**sid, **fields}) == {
        "ok": False, "error": "Join the session first."}
    assert version_of(app, room.session_id) == before
    assert received(ada) == []
    assert call(di, "live:join", sid)["ok"] is True
    assert call(di, event_name, {**sid, **fields})["ok"] is True
    assert [c["change"]["hands"] for c in received(ada, "live:changed")
            if c["change"]["type"] == "hands"] == ([[room.ada, room.di]]
                                                  if event_name == "live:hand" else [])


def test_a_non_member_can_neither_join_the_room_nor_emit_into_it(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    olu = socket_for(app, room.olu)
    before = version_of(app, room.session_id)
    assert call(olu, "live:join", {"session_id": room.session_id}) == NOT_FOUND
    assert call(olu, "live:snapshot", {"session_id": room.session_id}) == NOT_FOUND
    assert call(olu, "live:agenda_add", {"session_id": room.session_id,
                                         "title": "Let me in"}) == NOT_FOUND
    assert call(olu, "live:hand", {"session_id": room.session_id, "raised": True}) == NOT_FOUND
    assert version_of(app, room.session_id) == before
    assert all(received(s) == [] for s in sockets.values())
    # A member's change is not broadcast to the outsider's socket either.
    assert call(sockets["di"], "live:agenda_add",
                {"session_id": room.session_id, "title": "Mine"})["ok"] is True
    assert received(olu) == []
    assert [c["change"]["type"] for c in received(sockets["ada"], "live:changed")] == ["agenda"]


@pytest.mark.parametrize("event", sorted(CHANGES))
def test_every_change_event_is_acked_and_membership_checked(
        app: Flask, room: Room, event: str) -> None:
    socket = socket_for(app, room.ada)
    assert call(socket, event, {"session_id": room.session_id + 999}) == NOT_FOUND
    assert call(socket, event, {"session_id": "1"}) == {
        "ok": False, "error": "Name the session by its id, a positive whole number.",
        "field": "session_id"}
    assert call(socket, event, ["not", "an", "object"]) == {
        "ok": False, "error": "Send an object with the event's fields.", "field": "payload"}


def test_validation_errors_say_what_is_wrong_name_the_field_apart_and_keep_nothing(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    before = version_of(app, room.session_id)
    ack = call(sockets["di"], "live:agenda_add", {"session_id": room.session_id,
                                                 "title": "x" * 201, "timebox_minutes": 5})
    assert ack == {"ok": False, "error": "Keep the title to 200 characters (it has 201).",
                   "field": "title"}
    ack = call(sockets["di"], "live:agenda_add", {"session_id": room.session_id,
                                                 "title": "Fine", "timebox_minutes": 90})
    assert ack == {"ok": False, "error": "Give a whole number of minutes from 1 to 60.",
                   "field": "timebox_minutes"}
    assert version_of(app, room.session_id) == before
    assert received(sockets["ada"]) == []


def test_a_role_rule_answers_with_a_clear_error(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    assert call(sockets["di"], "live:start", {"session_id": room.session_id}) == {
        "ok": False, "error": "Only the facilitator can start the session."}
    ack = call(sockets["ada"], "live:start", {"session_id": room.session_id})
    assert ack == {"ok": True, "version": version_of(app, room.session_id)}
    [changed] = received(sockets["di"], "live:changed")
    assert changed["change"]["type"] == "started" and changed["version"] == ack["version"]
    assert call(sockets["cy"], "live:timer", {"session_id": room.session_id,
                                              "action": "start", "seconds": 60}) == {
        "ok": False, "error": "Only the timekeeper or the facilitator can run the timer."}
    timer = call(sockets["ben"], "live:timer", {"session_id": room.session_id,
                                                "action": "start", "seconds": 60})
    assert timer["ok"] is True
    changed = received(sockets["cy"], "live:changed")[-1]
    assert changed["change"]["timer"]["state"] == "running"
    assert changed["change"]["timer"]["server_now"] is not None


def test_private_things_reach_only_their_member(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    assert call(sockets["cy"], "live:note", {**sid, "private": True, "body": "Only mine",
                                             "base_version": 0})["note"]["version"] == 1
    assert call(sockets["ada"], "live:phase_order", {"circle_id": room.circle_id})["ok"] is True
    while call(sockets["ada"], "live:snapshot", sid)["snapshot"]["phases"][4]["status"] != (
            "active"):
        assert call(sockets["ada"], "live:advance", sid)["ok"] is True
    for socket in sockets.values():
        socket.get_received()
    assert call(sockets["ben"], "live:feedback", {**sid, "receiver_id": room.di,
                                                  "strength": "You listen", "suggestion":
                                                  "Speak sooner"})["ok"] is True
    [private] = received(sockets["di"], "live:private")
    assert private["change"]["feedback"] == {"giver_id": room.ben, "strength": "You listen",
                                             "suggestion": "Speak sooner"}
    for name in ("ada", "ben", "cy"):
        events = received(sockets[name])
        assert [e["change"]["type"] for e in events] == ["feedback"]
        assert "You listen" not in repr(events)
    for name in ("ada", "di"):
        state = call(sockets[name], "live:snapshot", sid)["snapshot"]
        assert state["notes"]["private"] is None and "Only mine" not in repr(state)


def test_disconnect_shows_the_member_reconnecting_to_the_room(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    second_tab = socket_for(app, room.di)
    call(second_tab, "live:join", {"session_id": room.session_id})
    sockets["ada"].get_received()
    sockets["di"].disconnect()
    [one_left] = received(sockets["ada"], "live:changed")
    assert one_left["change"]["member"]["presence"] == "here"  # the other tab is still open
    second_tab.disconnect()
    [gone] = received(sockets["ada"], "live:changed")
    assert gone["change"]["member"]["presence"] == "reconnecting"
    assert gone["change"]["member"]["away_at"] is not None


def test_leave_takes_the_socket_out_of_the_room(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    assert call(sockets["di"], "live:leave", {"session_id": room.session_id})["ok"] is True
    assert call(sockets["ada"], "live:ready", {"session_id": room.session_id,
                                               "ready": True}) == {
        "ok": False, "error": "The session is not live (it is scheduled)."}
    call(sockets["ada"], "live:agenda_add", {"session_id": room.session_id, "title": "T"})
    assert received(sockets["di"]) == []
    assert [c["change"]["type"] for c in received(sockets["cy"], "live:changed")] == [
        "presence", "agenda"]
