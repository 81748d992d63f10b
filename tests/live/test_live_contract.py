"""The live contract and the wire agree: every event and ack has a JSON Schema in
docs/realtime/schemas, docs/realtime.md names them all, and what a live server really sends
keeps them (docs/realtime.md, "Schemas").

The live clients of every test are held to the schemas by ``tests.support.contract``; the
session below drives every event, every kind of change and a refusal of every event through
real Socket.IO clients, and then checks that it did see each of them on the wire.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
from flask import Flask
from jsonschema import Draft202012Validator
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles import create_app
from circles.models import Circle as CircleRow
from circles.models import Membership, User
from circles.network.ties import add_tie
from realtime import broadcast
from tests.live.test_live_handlers import received, socket_for
from tests.live.test_live_session_flow import (
    NAMES,
    Circle,
    Seat,
    circle_with_session,
    next_session,
    people,
)
from tests.support import contract
from tests.support.live import MACHINE_SPEED_ENV, LiveServer, ServerFactory, http_session
from tests.support.live_socket import Member

#: Seconds; LIVE_FACILITATOR_GRACE of this test's server. The contract run only waits it
#: out before a take-over (no refusal inside it is asserted here), so it can be short.
GRACE = 1
ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "realtime.md"
CODE = [*sorted((ROOT / "circles").rglob("*.py")), *sorted((ROOT / "realtime").rglob("*.py"))]
#: Sent by Socket.IO itself (the handshake's refusal), not by an emit in our code.
LIBRARY_SENT = {"connect_error"}


def schema_names(kind: str) -> set[str]:
    """The events (``events``) or acks (``acks``) that have a schema, by event name."""
    folder = contract.SCHEMAS / kind
    return {str(p.relative_to(folder).with_suffix("")).replace("/", ":")
            for p in folder.rglob("*.json")}


def union_types(name: str) -> set[str]:
    """The change ``type``s a union schema (changes.json, private.json) defines."""
    schema = json.loads((contract.SCHEMAS / name).read_text())
    types = set(schema["properties"]["type"]["enum"])
    assert types == set(schema["$defs"]), f"{name}: its type list and its $defs differ"
    assert {b["if"]["properties"]["type"]["const"] for b in schema["allOf"]} == types, (
        f"{name}: every type needs its if/then branch")
    return types


# --- the schemas and the code, the schemas and the docs --------------------------------------


def test_every_schema_is_draft_2020_12_and_every_reference_resolves() -> None:
    paths = sorted(contract.SCHEMAS.rglob("*.json"))
    assert len(paths) > 30
    for path in paths:
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path
        Draft202012Validator.check_schema(schema)
        refs = re.findall(r'"\$ref": "([^"]+)"', path.read_text())
        resolver = contract.registry().resolver(base_uri=path.as_uri())
        for ref in refs:
            resolver.lookup(ref)  # raises for a file or a $def that is not there


def emitted_events() -> set[str]:
    """Every event name our code sends to clients: literal names at emit sites."""
    found: set[str] = set()
    for path in CODE:
        source = path.read_text()
        found |= set(re.findall(r'\.emit\(\s*"([\w:]+)"', source))
        found |= set(re.findall(r'to_member\(\s*[\w.\[\]]+,\s*"([\w:]+)"', source))
    return found


def test_every_event_the_server_sends_has_a_schema() -> None:
    sent = emitted_events()
    assert {"live:changed", "live:private", "notification", "circle_placed",
            "formation_progress", "introduction"} <= sent  # the scan finds emit sites
    assert sent - schema_names("events") == set(), "events sent without a schema"
    assert schema_names("events") - sent - LIBRARY_SENT == set(), "schemas of no event"


def test_every_change_type_the_code_makes_has_a_schema() -> None:
    made: set[str] = set()
    for path in sorted((ROOT / "circles" / "live").rglob("*.py")):  # where changes are made
        made |= set(re.findall(r'"type": "(\w+)"', path.read_text()))
    assert {"presence", "ended", "summary_feedback"} <= made
    assert made == union_types("changes.json") | union_types("private.json")


@pytest.fixture
def socket_app(tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "contract",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'contract.sqlite3'}",
                       "RATELIMIT_STORAGE_URI": "memory://"})


def test_every_event_the_server_answers_has_an_ack_schema(socket_app: Flask) -> None:
    handlers = socket_app.extensions["socketio"].server.handlers["/"]
    answered = set(handlers) - {"connect", "disconnect"}
    assert {"whoami", "live:join", "live:note", "live:phase_order"} <= answered
    assert answered == schema_names("acks")


def documented() -> dict[str, set[str]]:
    """What docs/realtime.md names: ``live:*`` events, the server → client events of its
    table and the change types of its ``change`` payloads table, and the schema files it
    links to."""
    text = DOC.read_text()
    server_table = text.split("## Server → client events", 1)[1].split("\n## ", 1)[0]
    change_table = text.split("## `change` payloads", 1)[1].split("\n## ", 1)[0]
    change_table = change_table.split("| --- | --- |", 1)[1]  # the rows, not the header
    return {
        "live": set(re.findall(r"`(live:[a-z_]+)`", text)),
        "server": set(re.findall(r"^\| \[`([\w:]+)`\]", server_table, re.MULTILINE)),
        "changes": set(re.findall(r"^\| `(\w+)` \|", change_table, re.MULTILINE)),
        "private": set(re.findall(r"^\| private `(\w+)` \|", change_table, re.MULTILINE)),
        "links": set(re.findall(r"\]\((realtime/schemas/[\w/:.]+\.json)\)", text)),
    }


def test_docs_and_schemas_name_the_same_events() -> None:
    doc = documented()
    events, acks = schema_names("events"), schema_names("acks")
    assert doc["live"] - events - acks == set(), "docs/realtime.md names events with no schema"
    assert doc["server"] == events
    assert {a for a in acks if a.startswith("live:")} <= doc["live"]
    assert doc["changes"] == union_types("changes.json")
    assert doc["private"] == union_types("private.json")
    linked = {ROOT / "docs" / link for link in doc["links"]}
    assert all(path.exists() for path in linked), "a broken schema link"
    every = set(contract.SCHEMAS.rglob("*.json"))
    assert every - linked == set(), "schemas docs/realtime.md does not link to"


def test_the_check_catches_a_presence_member_without_its_name() -> None:
    member = {"id": 3, "connections": 1, "ready": False, "hand_raised_at": None,
              "last_seen": "2026-01-05T18:00:00.000+00:00", "away_at": None, "presence": "here"}
    event = {"session_id": 1, "version": 2, "change": {"type": "presence", "member": member}}
    found = contract.problem("events", "live:changed", event)
    assert found is not None and "display_name" in found
    named = {**event, "change": {"type": "presence", "member": {**member, "display_name": "Ada"}}}
    assert contract.problem("events", "live:changed", named) is None
    assert "no schema" in str(contract.problem("events", "live:surprise", {}))
    assert contract.problem("acks", "live:start", {"ok": False, "error": "No."}) is None
    assert contract.problem("acks", "live:start", {"ok": False, "error": "No.", "why": 1})


# --- a whole session on the wire -------------------------------------------------------------


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute",
                               FLASK_LOGIN_RATE_LIMIT="100 per minute",
                               FLASK_LIVE_FACILITATOR_GRACE=str(GRACE), **MACHINE_SPEED_ENV)


#: A payload each event refuses, and the field the refusal names.
REFUSED: dict[str, tuple[Any, str | None]] = {
    "live:phase_order": ({"circle_id": "nine"}, "circle_id"),
    "live:events": ({"session_id": 1}, "after"),
    "live:start": (7, "payload"),
}


def refuse_every_event(seat: Seat) -> None:
    """Each event the server answers, once with a payload it refuses."""
    for event in sorted(schema_names("acks") - {"whoami"}):
        data, field = REFUSED.get(event, ({"session_id": "twelve"}, "session_id"))
        ack = seat.socket.call(event, data)
        assert ack["ok"] is False and ack.get("field") == field, (event, ack)
    # whoami takes no payload; three arguments make its handler fail, and it still answers.
    assert seat.socket.call("whoami", (1, 2, 3))["ok"] is False


#: What only a session in a peer-consulting format sends: tests/live/test_formats_live.py
#: holds it on the wire (its clients are checked the same way, and it asserts it saw each;
#: the refusal of every event below covers live:stop's refused ack).
FORMATS_ONLY = {"acks": {"live:stop"}, "changes": {"trio_contribution", "contribution_stopped"},
                "private": {"contribution", "contribution_stopped"}}


def the_wire() -> dict[str, set[str]]:
    """What the clients of this test received, by kind."""
    seen: dict[str, set[str]] = {k: set() for k in ("events", "ok", "refused", "changes",
                                                     "private", "states")}
    for item in contract.WIRE:
        data = item.data if isinstance(item.data, dict) else {}
        if item.kind == "events":
            seen["events"].add(item.name)
            if item.name == "live:changed":
                seen["changes"].add(data["change"]["type"])
            if item.name == "live:private":
                seen["private"].add(data["change"]["type"])
            continue
        seen["ok" if data.get("ok") else "refused"].add(item.name)
        for event in data.get("events", []):
            seen["changes"].add(event["change"]["type"])
        if item.name in ("live:join", "live:events") and data.get("ok"):
            seen["states"].add(f"{item.name} {'snapshot' if 'snapshot' in data else 'events'}")
    return seen


@pytest.mark.live
def test_a_whole_session_keeps_the_contract_on_the_wire(server: LiveServer) -> None:
    found = people(server)
    ids = {name: uid for name, (_cookie, uid) in found.items()}
    circle_id, session_id = circle_with_session(server, ids)
    seats = {name: Seat(server, name, cookie, uid) for name, (cookie, uid) in found.items()}
    circle = Circle(seats)
    ada, cy, di = seats["ada"], seats["cy"], seats["di"]
    try:
        for seat in seats.values():
            seat.connect(session_id)
        before_the_start(circle, circle_id)
        first_half(circle)
        handover(circle)
        second_half(circle)
        ada.socket.call("whoami")
        refuse_every_event(di)
        outside_the_room(server, circle_id)
        anonymous = Member(server, None)
        with pytest.raises(socketio.exceptions.ConnectionError):
            anonymous.connect()
        for seat in (cy, di):
            seat.socket.disconnect()
        review_next_time(circle, next_session(server, circle_id, ids))
    finally:
        for seat in seats.values():
            seat.socket.disconnect()

    seen = the_wire()
    assert seen["events"] == schema_names("events") - {"formation_progress"}
    assert seen["ok"] == schema_names("acks") - FORMATS_ONLY["acks"]
    assert seen["refused"] == schema_names("acks")
    assert seen["changes"] == union_types("changes.json") - FORMATS_ONLY["changes"]
    assert seen["private"] == union_types("private.json") - FORMATS_ONLY["private"]
    assert seen["states"] == {"live:join snapshot", "live:join events",
                              "live:events snapshot", "live:events events"}


def before_the_start(circle: Circle, circle_id: int) -> None:
    ada, ben, cy, di = (circle[n] for n in NAMES)
    order = ada.ok("live:phase_order", circle_id=circle_id)["phases"]
    assert ada.ok("live:phase_order", circle_id=circle_id, phases=order)["phases"] == order
    first = di.ok("live:agenda_add", title="Saying no", timebox_minutes=10)["item_id"]
    second = cy.ok("live:agenda_add", title="Asking for a raise")["item_id"]
    spare = ben.ok("live:agenda_add", title="Spare")["item_id"]
    di.ok("live:agenda_rename", item_id=first, title="Saying no to my manager")
    cy.ok("live:agenda_timebox", item_id=second, timebox_minutes=5)
    ben.ok("live:agenda_remove", item_id=spare)
    version = ben.ok("live:agenda_reorder", item_ids=[second, first])["version"]
    circle.everyone_at(version)
    circle.everyone_at(ada.ok("live:start")["version"])


def first_half(circle: Circle) -> None:
    """Check-in with a prompt, hands, ready flags, the timer's every action, both notes, a
    catch-up by events, a leave and a join that catches up."""
    ada, ben, cy, di = (circle[n] for n in NAMES)
    ada.ok("live:prompt", prompt="One word for your week?")
    made = ada.ok("live:contribute", kind="checkin", text="Busy")["contribution_id"]
    ada.ok("live:contribution_edit", contribution_id=made, text="Busy, and glad")
    ben.ok("live:hand", raised=True)
    ada.ok("live:hand", raised=False, member_id=ben.id)
    cy.ok("live:ready", ready=True)
    for action, fields in (("start", {"minutes": 2}), ("pause", {}), ("resume", {}),
                           ("extend", {"minutes": 1}), ("stop", {})):
        ben.ok("live:timer", action=action, **fields)
    shared = cy.ok("live:note", private=False, body="Notes: busy weeks", base_version=0)
    di.ok("live:note", private=True, body="Ask Ada about lists", base_version=0)
    assert shared["note"]["version"] == 1
    caught = di.ok("live:events", after=shared["version"] - 3)
    assert [e["version"] for e in caught["events"]][-1] == shared["version"]
    assert "snapshot" in di.ok("live:events", after=10**6)
    left = ben.ok("live:leave")["version"]
    circle.everyone_at(left, but=("ben",))
    rejoined = ben.ok("live:join", after=ben.version)
    assert rejoined["events"], "the join after a leave catches up"
    ben.version = rejoined["version"]
    circle.everyone_at(rejoined["version"])
    for _ in NAMES:  # four check-in turns; no commitments yet, so no review phase
        circle.advance()


def handover(circle: Circle) -> None:
    """The facilitator drops out, the timekeeper takes over, the facilitator takes back."""
    ada, ben = circle["ada"], circle["ben"]
    ada.socket.disconnect()
    ben.catch_up(ben.version + 1)
    time.sleep(GRACE + 0.2)
    ben.ok("live:take_over")
    ada.connect(ada.session_id)
    circle.everyone_at(ada.ok("live:take_back")["version"])


def second_half(circle: Circle) -> None:
    """Focus rounds, feedback, commitments (one withdrawn), the close and the end."""
    ada, ben, cy, di = (circle[n] for n in NAMES)
    circle.advance()  # the agenda is done: focus rounds, Cy's item first
    asked = ada.ok("live:contribute", kind="question", text="What would it buy you?")
    cy.ok("live:helped", contribution_id=asked["contribution_id"], helped=True)
    circle.advance()
    circle.advance()  # feedback
    ada.ok("live:feedback", receiver_id=ben.id, strength="You listen", suggestion="Speak sooner")
    circle.advance()  # commitments
    due = (date.today() + timedelta(days=14)).isoformat()
    ada.ok("live:commit", text="Ask for one thing", due_on=due)
    withdrawn = ben.ok("live:commit", text="Maybe", due_on=due)["commitment_id"]
    ben.ok("live:commit_withdraw", commitment_id=withdrawn)
    circle.advance()  # close
    circle.everyone_at(ada.ok("live:end")["version"])
    ben.private_of("feedback_received", 1)
    ben.private_of("summary_feedback", 1)
    di.private_of("note", 1)
    on_the_wire("notification")  # "You received feedback in …": the end pushes it to Ben


def on_the_wire(event: str, within: float = 5.0) -> None:
    """Wait until some client of this test has received ``event``."""
    deadline = time.monotonic() + within
    while not any(seen.kind == "events" and seen.name == event for seen in contract.WIRE):
        if time.monotonic() > deadline:
            pytest.fail(f"no client received {event!r}")
        time.sleep(0.02)


def outside_the_room(server: LiveServer, circle_id: int) -> None:
    """The events that are not the room's, caused through the pages as people would: Eve
    joins the community (she knows Ada) and Ada seats her in the circle (``circle_placed``);
    Eve asks Ada to introduce her to Ben (``introduction`` and a ``notification`` to Ada).

    ``formation_progress`` is left out: a formation run started on a live server that has
    just held a session stayed at "computing" in this test (reported, not yet understood);
    its payload is checked by the schema test of ``formation_progress`` alone."""
    eve_browser = http_session(server)
    eve_browser.signup("eve@example.org", "Eve")
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            eve, ada_id, ben_id = (db.execute(select(User.id).where(User.email == email))
                                   .scalar_one() for email in
                                   ("eve@example.org", "ada@example.org", "ben@example.org"))
            community_id = db.get_one(CircleRow, circle_id).community_id
            db.add(Membership(community_id=community_id, user_id=eve, role="member"))
            add_tie(db, eve, ada_id, source="declared", community_id=community_id)
            db.commit()
    finally:
        engine.dispose()
    eve_socket = Member(server, eve_browser.cookie_header())
    eve_socket.connect()
    try:
        ada = http_session(server)
        ada.login("ada@example.org")
        added = ada.post_form(f"/circles/{circle_id}/members", {"member": eve},
                              page=f"/circles/{circle_id}")
        assert added.status_code in (302, 303), added.text[:500]
        on_the_wire("circle_placed")
        asked = eve_browser.post_form(
            "/introductions/request",
            {"target_id": ben_id, "broker_id": ada_id, "reason": "We both run night shifts.",
             "shares": "none"},
            page=f"/introductions/request?target={ben_id}&broker={ada_id}")
        assert asked.status_code in (302, 303), asked.text[:500]
        on_the_wire("introduction")
    finally:
        eve_socket.disconnect()


def review_next_time(circle: Circle, session_id: int) -> None:
    """Ada and Ben meet again; Ada reviews the commitment she made."""
    ada, ben = circle["ada"], circle["ben"]
    for seat in (ada, ben):
        seat.connect(session_id)
    circle.seats = {"ada": ada, "ben": ben}
    circle.everyone_at(ben.ok("live:start")["version"])
    circle.advance(by="ben")
    circle.advance(by="ben")  # two check-in turns: now the review
    [mine] = [c for c in ada.snapshot()["commitments"]["to_review"] if c["user_id"] == ada.id]
    ada.ok("live:review", commitment_id=mine["id"], status="kept", reflection="Done")


def test_formation_progress_keeps_its_schema(app: Flask, make_user: Any) -> None:
    """What ``broadcast.formation_progress`` emits, under way and done with an error (the
    live session above cannot cause it, see ``outside_the_room``)."""
    ada = make_user(display_name="Ada")
    socket = socket_for(app, ada.id)
    with app.app_context():
        broadcast.formation_progress(ada.id, 7, 0.25)
        broadcast.formation_progress(ada.id, 7, 1.2, done=True, error="No plan fits.")
    sent = received(socket, "formation_progress")
    assert [p["fraction"] for p in sent] == [0.25, 1.0]
    for payload in sent:
        assert contract.problem("events", "formation_progress", payload) is None
    assert contract.problem("events", "formation_progress", {**sent[0], "fraction": 1.5})
