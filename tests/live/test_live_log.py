"""The numbered event log: every broadcast change is logged first, a reconnecting client
catches up from it, and a retried event (same ``op_id``) is answered, not applied twice.

Handler units over the Flask-SocketIO test client, on both databases; the real transport,
reconnects and crashes are in tests/live/test_live_resume.py and tests/live/test_live_processes.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import delete, func, select

from circles.extensions import orm
from circles.models import AgendaItem, LiveEvent
from tests.live.test_live_handlers import call, received, socket_for, sockets, version_of
from tests.support.live_room import Room

__all__ = ["sockets"]  # the fixture, shared with the handler tests


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    from tests.support.live_room import build_room

    return build_room(app, make_user, make_community, make_circle)


def logged(app: Flask, session_id: int) -> list[tuple[int, dict[str, Any]]]:
    with app.app_context():
        return [(seq, change) for seq, change in orm.session.execute(
            select(LiveEvent.seq, LiveEvent.change).where(LiveEvent.session_id == session_id)
            .order_by(LiveEvent.seq))]


def some_changes(room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    assert call(sockets["ben"], "live:timer", {**sid, "action": "start", "seconds": 120})["ok"]
    assert call(sockets["cy"], "live:agenda_add", {**sid, "title": "Saying no"})["ok"] is True
    assert call(sockets["di"], "live:hand", {**sid, "raised": True})["ok"] is True


def test_every_broadcast_change_is_logged_in_version_order(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    before = version_of(app, room.session_id)
    some_changes(room, sockets)
    broadcast = [(e["version"], e["change"]) for e in received(sockets["di"], "live:changed")]
    log = logged(app, room.session_id)
    assert [seq for seq, _ in log] == list(range(1, version_of(app, room.session_id) + 1))
    assert [entry for entry in log if entry[0] > before] == broadcast
    assert [change["type"] for _, change in broadcast] == ["started", "timer", "agenda", "hands"]


def test_a_rejoining_client_gets_exactly_what_it_missed(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    sockets["di"].disconnect()
    seen = version_of(app, room.session_id)
    some_changes(room, {**sockets, "di": sockets["ada"]})
    di = socket_for(app, room.di)
    ack = call(di, "live:join", {**sid, "after": seen})
    assert ack["ok"] is True and "snapshot" not in ack
    versions = [e["version"] for e in ack["events"]]
    assert versions == list(range(seen + 1, version_of(app, room.session_id) + 1))
    assert ack["version"] == versions[-1]
    assert [e["change"]["type"] for e in ack["events"]][-1] == "presence"  # di's own return
    assert ack["events"] == [{"version": v, "change": c} for v, c in logged(app, room.session_id)
                             if v > seen]
    assert ack["private"] == {"feedback_received": [], "note": None, "summary_feedback": None}
    assert ack["server_now"]


def test_private_parts_come_with_the_catch_up_for_their_member_only(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    assert call(sockets["cy"], "live:note", {**sid, "private": True, "body": "Only mine",
                                             "base_version": 0})["ok"] is True
    version = version_of(app, room.session_id)
    mine = call(sockets["cy"], "live:events", {**sid, "after": version})
    assert mine["events"] == [] and mine["version"] == version
    assert mine["private"]["note"]["body"] == "Only mine"
    theirs = call(sockets["ada"], "live:events", {**sid, "after": 0})
    assert theirs["private"]["note"] is None and "Only mine" not in repr(theirs)


def test_too_far_behind_or_ahead_or_unlogged_gets_a_snapshot(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    some_changes(room, sockets)
    version = version_of(app, room.session_id)
    app.config["LIVE_RESUME_LIMIT"] = 2
    far = call(sockets["ada"], "live:events", {**sid, "after": version - 3})
    assert "events" not in far and far["snapshot"]["version"] == far["version"] == version
    near = call(sockets["ada"], "live:events", {**sid, "after": version - 2})
    assert [e["version"] for e in near["events"]] == [version - 1, version]
    ahead = call(sockets["ada"], "live:events", {**sid, "after": version + 5})
    assert ahead["snapshot"]["version"] == version
    with app.app_context():  # a session from before the log existed: a hole in its history
        orm.session.execute(delete(LiveEvent).where(LiveEvent.seq == version - 1))
        orm.session.commit()
    holed = call(sockets["ada"], "live:events", {**sid, "after": version - 2})
    assert "events" not in holed and holed["snapshot"]["version"] == version


@pytest.mark.parametrize(("after", "error"), [
    (None, "Give the last version you applied."),
    ("3", "Give a whole number from 0 to 2147483647."),
    (-1, "Give a whole number from 0 to 2147483647."),
    (True, "Give a whole number from 0 to 2147483647."),
])
def test_bad_after_names_the_field(app: Flask, room: Room,
                                   sockets: dict[str, SocketIOTestClient], after: Any,
                                   error: str) -> None:
    assert call(sockets["ada"], "live:events", {"session_id": room.session_id,
                                                "after": after}) == {
        "ok": False, "error": error, "field": "after"}


def test_a_stranger_cannot_read_the_log(app: Flask, room: Room,
                                        sockets: dict[str, SocketIOTestClient]) -> None:
    some_changes(room, sockets)
    olu = socket_for(app, room.olu)
    not_found = {"ok": False, "error": "That session was not found."}
    assert call(olu, "live:events", {"session_id": room.session_id, "after": 0}) == not_found
    assert call(olu, "live:events", {"session_id": 10**6, "after": 0}) == not_found
    assert call(olu, "live:join", {"session_id": room.session_id, "after": 0}) == not_found
    assert received(olu) == []


def items(app: Flask) -> int:
    with app.app_context():
        return int(orm.session.scalar(select(func.count()).select_from(AgendaItem)) or 0)


def test_a_retried_event_is_answered_not_applied_twice(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    event = {"session_id": room.session_id, "title": "Saying no", "op_id": "c1a7f3-01"}
    first = call(sockets["cy"], "live:agenda_add", event)
    assert first["ok"] is True and "replayed" not in first
    for socket in sockets.values():
        socket.get_received()
    again = call(sockets["cy"], "live:agenda_add", event)
    assert again == {**first, "replayed": True}
    assert items(app) == 1 and version_of(app, room.session_id) == first["version"]
    assert all(received(socket) == [] for socket in sockets.values())
    # The key is the member's own: the same key from someone else is a new change.
    other = call(sockets["di"], "live:agenda_add", {**event, "title": "Pacing"})
    assert other["ok"] is True and "replayed" not in other and items(app) == 2


def test_a_retry_the_room_would_now_refuse_still_gets_the_first_answer(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    """The first answer is looked up only when a try fails: a retried note save, based on
    the version its own first try replaced, must be answered, not refused as a conflict."""
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    event = {**sid, "private": False, "body": "Agreed: try it", "base_version": 0,
             "op_id": "note-1"}
    first = call(sockets["cy"], "live:note", event)
    assert first["ok"] is True and first["note"]["version"] == 1
    again = call(sockets["cy"], "live:note", event)
    assert again == {**first, "replayed": True}
    assert version_of(app, room.session_id) == first["version"]
    # Without the key the same save is the conflict it is.
    stale = call(sockets["cy"], "live:note", {**event, "op_id": "note-2"})
    assert stale["ok"] is False and "changed meanwhile" in stale["error"]


def test_a_refused_event_keeps_no_key_so_its_retry_runs(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id, "op_id": "k-1"}
    assert call(sockets["cy"], "live:agenda_add", {**sid, "title": ""}) == {
        "ok": False, "error": "The title cannot be empty.", "field": "title"}
    assert call(sockets["cy"], "live:agenda_add", {**sid, "title": "Fixed"})["ok"] is True
    assert items(app) == 1


@pytest.mark.parametrize("op_id", ["", "x" * 65, "has space", 7, "ünï"])
def test_a_bad_op_id_names_the_field_and_saves_nothing(
        app: Flask, room: Room, sockets: dict[str, SocketIOTestClient], op_id: Any) -> None:
    before = logged(app, room.session_id)
    ack = call(sockets["cy"], "live:agenda_add", {"session_id": room.session_id,
                                                  "title": "Saying no", "op_id": op_id})
    assert ack["ok"] is False and ack["field"] == "op_id"
    assert ack["error"].startswith("Give 1 to 64 letters")
    assert items(app) == 0 and logged(app, room.session_id) == before


def test_a_strangers_op_id_reveals_nothing(app: Flask, room: Room,
                                           sockets: dict[str, SocketIOTestClient]) -> None:
    event = {"session_id": room.session_id, "title": "Saying no", "op_id": "same"}
    assert call(sockets["cy"], "live:agenda_add", event)["ok"] is True
    olu = socket_for(app, room.olu)
    assert call(olu, "live:agenda_add", event) == {"ok": False,
                                                  "error": "That session was not found."}
