"""Crafted ids in Socket.IO payloads get the event's error ack, never an exception.

``2**63`` does not fit SQLite's integer: before ``circles.live.room.ident`` bounded ids, the
driver raised and the member got "Something went wrong on our side" (and, with an ``op_id``,
the retry lookup raised before the operation could explain). An id above ``ID_MAX`` is now
answered like a missing one, as over HTTP; one that is no positive whole number names its
field. Checked on both databases; tests/security/test_crafted_ids_property.py throws
generated values at every event.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from circles.extensions import orm
from circles.ids import ID_MAX
from circles.models import Question, User
from realtime.acks import UNEXPECTED
from realtime.live import CHANGES
from tests.conftest import AuthActions
from tests.support.live import MACHINE_SPEED
from tests.support.live_room import Room, build_room

HUGE = [2**63, 2**64 + 1, 10**40, ID_MAX + 1]
CRAFTED = [*HUGE, -1, 0, "\u0661", "12", "abc", 1.5, True, [1], {"id": 1}]
SESSION_EVENTS = sorted({*CHANGES, "live:join", "live:leave", "live:snapshot", "live:events"})


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return dict(MACHINE_SPEED)  # one socket sends every crafted payload back to back


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def socket_for(app: Flask, user_id: int) -> SocketIOTestClient:
    with app.app_context():
        email = orm.session.get_one(User, user_id).email
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    socket: SocketIOTestClient = app.extensions["socketio"].test_client(
        app, flask_test_client=client)
    return socket


def expected_error(field: str, value: object, what: str) -> dict[str, object]:
    if value in HUGE:
        return {"ok": False, "error": f"That {what} was not found."}
    return {"ok": False, "error": f"Name the {what} by its id, a positive whole number.",
            "field": field}


@pytest.mark.parametrize("value", CRAFTED, ids=repr)
def test_a_crafted_session_id_is_refused_by_every_session_event(
        app: Flask, room: Room, value: object) -> None:
    ada = socket_for(app, room.ada)
    for event in SESSION_EVENTS:
        for extra in ({"after": 0}, {"after": 0, "op_id": "retry-1"}):
            ack = ada.emit(event, {"session_id": value, **extra}, callback=True)
            assert ack == expected_error("session_id", value, "session"), (event, extra, ack)


@pytest.mark.parametrize("value", HUGE)
def test_huge_ids_in_other_fields_name_the_field(app: Flask, room: Room, value: int) -> None:
    ada = socket_for(app, room.ada)
    session = {"session_id": room.session_id}
    assert ada.emit("live:join", session, callback=True)["ok"] is True
    asks = {"live:agenda_add": ("question_id", "question", {"title": "T"}),
            "live:agenda_rename": ("item_id", "agenda item", {"title": "T"}),
            "live:agenda_remove": ("item_id", "agenda item", {}),
            "live:agenda_timebox": ("item_id", "agenda item", {"timebox_minutes": 5}),
            "live:hand": ("member_id", "member", {"raised": False}),
            "live:phase_order": ("circle_id", "circle", {})}
    for event, (field, what, extra) in asks.items():
        ack = ada.emit(event, {**session, **extra, field: value}, callback=True)
        assert ack == expected_error(field, value, what), (event, ack)
    ack = ada.emit("live:agenda_reorder", {**session, "item_ids": [value]}, callback=True)
    assert ack == {"ok": False, "error": "List every agenda item's id once, in the new order.",
                   "field": "item_ids"}
    ack = ada.emit("live:events", {**session, "after": value}, callback=True)
    assert ack == {"ok": False, "error": "Give a whole number from 0 to 2147483647.",
                   "field": "after"}


def test_an_id_at_the_bound_is_only_not_found(app: Flask, room: Room) -> None:
    """``ID_MAX`` itself is a possible id: looked up, and missing like any other."""
    ada = socket_for(app, room.ada)
    ack = ada.emit("live:snapshot", {"session_id": ID_MAX}, callback=True)
    assert ack == {"ok": False, "error": "That session was not found."}
    with app.app_context():
        orm.session.add(Question(user_id=room.ada, text="How?"))
        orm.session.commit()
    ack = ada.emit("live:agenda_add", {"session_id": room.session_id, "question_id": ID_MAX},
                   callback=True)
    assert ack == {"ok": False, "error": "That question was not found."}
    assert UNEXPECTED not in str(ack)


@pytest.mark.parametrize("broken", ["\ud800", "before \udfff after", "high \ud83d alone"])
def test_text_with_a_lone_surrogate_is_refused_by_name(app: Flask, room: Room,
                                                       broken: str) -> None:
    """JSON may spell a lone surrogate ("\\ud800"); no UTF-8 exists for it, and writing it
    made the database driver raise (the generic error ack)."""
    ada = socket_for(app, room.ada)
    session = {"session_id": room.session_id}
    ack = ada.emit("live:agenda_add", {**session, "title": broken}, callback=True)
    assert ack == {"ok": False, "error": "Send real characters: the title holds a broken one.",
                   "field": "title"}
    ack = ada.emit("live:note", {**session, "private": True, "body": broken, "base_version": 0},
                   callback=True)
    assert ack == {"ok": False, "error": "Send real characters: the note holds a broken one.",
                   "field": "body"}
    # A pair is one character once the JSON is read (the test client sends JSON too).
    ack = ada.emit("live:agenda_add", {**session, "title": "Fine \ud83d\ude00"}, callback=True)
    assert ack["ok"] is True
