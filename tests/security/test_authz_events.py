"""The authorisation matrix for Socket.IO: every event the server handles, sent by every
role with real ids of Ola's live session, must answer as ``EVENTS`` declares; an event
missing from it fails.

Members of the session's circle reach every live event (the event's own rules may still
refuse, which shows the session exists to someone who may know it); everyone else gets
exactly what a missing session gets; a visitor cannot even connect. Handler units over the
Flask-SocketIO test client: the matrix is about decisions, the transport is tested elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from tests.support.authz_harness import Template, client_as, copy_of, make_template
from tests.support.authz_matrix import EVERYONE, OWNER, PEER
from tests.support.authz_world import ROLES, World
from tests.support.live import MACHINE_SPEED

MEMBERS = frozenset({OWNER, PEER})
#: Event → the logged-in roles that reach it (others: "not found"). Not-live events last.
EVENTS: dict[str, frozenset[str]] = {
    "whoami": EVERYONE,
    "live:join": MEMBERS, "live:snapshot": MEMBERS, "live:events": MEMBERS,
    "live:phase_order": MEMBERS, "live:prompt": MEMBERS, "live:timer": MEMBERS,
    "live:agenda_add": MEMBERS, "live:agenda_rename": MEMBERS,
    "live:agenda_timebox": MEMBERS, "live:agenda_reorder": MEMBERS,
    "live:contribute": MEMBERS, "live:contribution_edit": MEMBERS, "live:helped": MEMBERS,
    "live:feedback": MEMBERS, "live:commit": MEMBERS, "live:commit_withdraw": MEMBERS,
    "live:review": MEMBERS, "live:note": MEMBERS, "live:hand": MEMBERS,
    "live:ready": MEMBERS, "live:take_over": MEMBERS, "live:take_back": MEMBERS,
    "live:advance": MEMBERS, "live:agenda_remove": MEMBERS, "live:leave": MEMBERS,
    "live:start": MEMBERS, "live:end": MEMBERS, "live:stop": MEMBERS,
}
#: Handled by the transport itself, not called by members.
NOT_EVENTS = {"connect", "disconnect"}


def payload(world: World, event: str) -> dict[str, Any]:
    """Every field any event takes, filled with Ola's session's real ids."""
    ids, users = world.ids, world.users
    return {"session_id": ids["session"], "circle_id": ids["circle"], "after": 0,
            "item_id": ids["agenda_item"], "item_ids": [ids["agenda_item"]],
            "contribution_id": ids["contribution"], "commitment_id": ids["commitment"],
            "receiver_id": users["peer"], "member_id": users["peer"], "title": "Pacing",
            "timebox_minutes": 5, "kind": "idea", "text": "An idea", "helped": True,
            "strength": "Clear", "suggestion": "Slower", "due_on": "2099-01-01",
            "status": "kept", "reflection": "", "private": True, "body": "note",
            "base_version": 0, "raised": True, "ready": True, "prompt": "How are you?",
            "action": "start", "seconds": 60, "phases": ["checkin", "close"]}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("authz-events"))


@pytest.fixture
def app(template: Template, tmp_path: Path) -> Iterator[Flask]:
    # One socket sends every event back to back.
    with copy_of(template, tmp_path, **MACHINE_SPEED) as app:
        yield app


def socket_as(app: Flask, template: Template, role: str) -> SocketIOTestClient:
    client: SocketIOTestClient = app.extensions["socketio"].test_client(
        app, flask_test_client=client_as(app, template, role))
    return client


def handled_events(app: Flask) -> set[str]:
    return set(app.extensions["socketio"].server.handlers.get("/", {})) - NOT_EVENTS


def test_every_handled_event_is_in_the_matrix(app: Flask) -> None:
    assert sorted(handled_events(app) - set(EVENTS)) == []
    assert sorted(set(EVENTS) - handled_events(app)) == []


def test_a_visitor_cannot_connect(app: Flask, template: Template) -> None:
    assert not socket_as(app, template, "anonymous").is_connected()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_each_role_reaches_exactly_the_events_declared(app: Flask, template: Template,
                                                       role: str) -> None:
    socket = socket_as(app, template, role)
    assert socket.is_connected()
    wrong: dict[str, Any] = {}
    for event, allowed in EVENTS.items():
        ack = socket.emit(event, payload(template.world, event), callback=True)
        assert isinstance(ack, dict), (event, ack)
        error = str(ack.get("error", ""))
        hidden = ack.get("ok") is False and error.endswith("was not found.")
        if (role in allowed) == hidden:
            wrong[event] = ack
    assert wrong == {}
    assert [e for e in socket.get_received() if e["name"] == "live:changed"
            and role not in EVENTS["live:join"]] == []


@pytest.mark.parametrize("session_id", ["session_c", 2**40, 0, -3, "12", None, 1.5, [1]])
def test_other_missing_or_malformed_session_ids_reveal_nothing(
        app: Flask, template: Template, session_id: Any) -> None:
    socket = socket_as(app, template, "owner")
    value = template.world.ids.get(session_id, session_id) if isinstance(session_id, str) \
        and session_id in template.world.ids else session_id
    for event in EVENTS:
        if event in ("whoami", "live:phase_order"):
            continue
        ack = socket.emit(event, {**payload(template.world, event), "session_id": value},
                          callback=True)
        assert ack["ok"] is False, (event, value, ack)
        assert ack["error"] in ("That session was not found.",
                                "Name the session by its id, a positive whole number."), (
            event, value, ack)
