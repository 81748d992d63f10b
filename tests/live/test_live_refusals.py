"""What the live room says when it refuses, and to whom feedback goes (issue 17, item 4),
through real python-socketio clients against a live server.

Every refused action of the room's forms answers a sentence for people — in the unit that
was sent, never a payload field's name — and names the field apart (``"field"``), so a
client shows it next to the control that sent it (docs/realtime.md, "Calling events").
Feedback goes only between members who were present in the session; a member who left
mid-session still gets it, and for a week after the end it can still be given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from circles.extensions import orm
from circles.live.room import LATE_FEEDBACK_DAYS
from circles.models import CircleSession, Interaction, Notification, utcnow
from tests.support.live import LiveServer, ServerFactory
from tests.support.live_circle import SERVER_ENV, LiveCircle, four_in_a_circle, operator_app
from tests.support.live_socket import Member

pytestmark = pytest.mark.live

MINUTES = "Give a whole number of minutes from 1 to 60."
#: A sentence that starts with a field's name ("title: …"), as refusals used to.
FIELD_FIRST = re.compile(r"^[a-z_]+: ")
#: Field names no sentence would use (plain words such as "title" may well appear).
FIELDS = ("timebox_minutes", "item_ids", "receiver_id", "due_on", "base_version", "session_id")


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(**SERVER_ENV)


class Room:
    """The circle's sockets on its session: ``ok`` must pass, ``no`` must be refused."""

    def __init__(self, circle: LiveCircle) -> None:
        self.circle = circle
        self.sockets: dict[str, Member] = {}

    def enter(self, name: str, *, join: bool = True) -> Member:
        socket = Member(self.circle.server, self.circle.cookies[name])
        socket.connect()
        self.sockets[name] = socket
        if join:
            self.ok(name, "live:join")
        return socket

    def leave(self, name: str) -> None:
        self.sockets.pop(name).disconnect()

    def send(self, name: str, event: str, **fields: Any) -> dict[str, Any]:
        return dict(self.sockets[name].call(event, {"session_id": self.circle.session_id,
                                                    **fields}))

    def ok(self, name: str, event: str, **fields: Any) -> dict[str, Any]:
        ack = self.send(name, event, **fields)
        assert ack["ok"] is True, (name, event, fields, ack)
        return ack

    def no(self, name: str, event: str, **fields: Any) -> tuple[str | None, str]:
        """The refused field (None: not about one) and the sentence."""
        ack = self.send(name, event, **fields)
        assert ack["ok"] is False, (name, event, fields, ack)
        error = str(ack["error"])
        assert not FIELD_FIRST.match(error), error
        assert not any(field in error for field in FIELDS), error
        return ack.get("field"), error

    def phase_order(self, kinds: list[str]) -> None:
        ack = self.sockets["ada"].call("live:phase_order", {"circle_id": self.circle.circle_id,
                                                           "phases": kinds})
        assert ack["ok"] is True, ack

    def advance_to(self, kind: str) -> None:
        for _ in range(10):
            phases = self.ok("ada", "live:snapshot")["snapshot"]["phases"]
            if any(p["kind"] == kind and p["status"] == "active" for p in phases):
                return
            self.ok("ada", "live:advance")
        pytest.fail(f"never reached the {kind} phase")

    def close(self) -> None:
        for socket in self.sockets.values():
            socket.disconnect()


@pytest.fixture
def room(server: LiveServer) -> Iterator[Room]:
    opened = Room(four_in_a_circle(server))
    yield opened
    opened.close()


def test_every_refused_form_says_what_is_wrong_in_words_and_names_its_field_apart(
        room: Room) -> None:
    for name in ("ada", "ben", "cy"):
        room.enter(name)
    room.phase_order(["checkin", "agenda", "feedback", "commitments", "close"])

    # The agenda, built before the start: add, timebox, rename, reorder.
    assert room.no("cy", "live:agenda_add", title="  ") == ("title", "The title cannot be empty.")
    for minutes in (-5, 999, 0, "ten", 1.5):
        assert room.no("cy", "live:agenda_add", title="Pacing", timebox_minutes=minutes) == (
            "timebox_minutes", MINUTES)
    assert room.no("cy", "live:agenda_add", title="x" * 201) == (
        "title", "Keep the title to 200 characters (it has 201).")
    item = room.ok("cy", "live:agenda_add", title="Pacing", timebox_minutes=10)["item_id"]
    for minutes in (-5, 999):
        assert room.no("ada", "live:agenda_timebox", item_id=item, timebox_minutes=minutes) == (
            "timebox_minutes", MINUTES)
    assert room.no("cy", "live:agenda_rename", item_id=item, title="") == (
        "title", "The title cannot be empty.")
    other = room.ok("ben", "live:agenda_add", title="Saying no")["item_id"]
    assert room.no("ada", "live:agenda_reorder", item_ids=[other]) == (
        "item_ids", ("The agenda changed meanwhile (an item was added or removed): try the "
                    "move again."))
    room.ok("ada", "live:agenda_reorder", item_ids=[other, item])

    # The timer, in the unit it was set in: minutes from the room, seconds from a script.
    room.ok("ada", "live:start")
    assert room.no("ben", "live:timer", action="start", minutes=90) == ("minutes", MINUTES)
    assert room.no("ben", "live:timer", action="start", minutes=-5) == ("minutes", MINUTES)
    assert room.no("ben", "live:timer", action="start", seconds=5400) == (
        "seconds", "Give a whole number of seconds from 1 to 3600.")
    assert room.no("ben", "live:timer", action="start") == (
        "minutes", "Say how many minutes to time.")
    room.ok("ben", "live:timer", action="start", minutes=58)
    assert room.no("ben", "live:timer", action="extend", minutes=5) == (
        "minutes", "The timer holds an hour at most: add 2 minutes at most.")
    room.ok("ben", "live:timer", action="extend", minutes=2)
    assert room.no("ben", "live:timer", action="extend", minutes=1) == (
        "minutes", "The timer holds an hour at most: it cannot take more.")
    assert room.no("ben", "live:timer", action="extend", minutes=31) == (
        "minutes", "Give a whole number of minutes from 1 to 30.")
    room.ok("ben", "live:timer", action="stop")
    assert room.no("ben", "live:timer", action="extend", minutes=1) == (
        None, "Start the timer before extending it.")

    assert room.no("cy", "live:contribute", kind="checkin", text=" ") == (
        "text", "Your contribution cannot be empty.")
    assert room.no("cy", "live:contribute", kind="story", text="Once") == (
        "kind", "The checkin phase takes checkin.")

    room.advance_to("feedback")
    ben = room.circle.ids["ben"]
    assert room.no("ada", "live:feedback", receiver_id=ben, strength="", suggestion="More") == (
        "strength", "The strength you noticed cannot be empty.")
    assert room.no("ada", "live:feedback", receiver_id=ben, strength="Calm", suggestion="") == (
        "suggestion", "The suggestion cannot be empty.")

    room.advance_to("commitments")
    soon = (utcnow() + timedelta(days=7)).date().isoformat()
    assert room.no("cy", "live:commit", text="Call Sam", due_on="2001-01-01") == (
        "due_on", "Choose a date that is not in the past.")
    assert room.no("cy", "live:commit", text="Call Sam", due_on="") == (
        "due_on", "Choose the date you will have done it by.")
    assert room.no("cy", "live:commit", text="", due_on=soon) == (
        "text", "Your commitment cannot be empty.")

    assert room.no("cy", "live:note", private=False, body="x" * 20_001, base_version=0) == (
        "body", "Keep the note to 20,000 characters (it has 20,001).")
    room.ok("cy", "live:note", private=False, body="x" * 20_000, base_version=0)


def test_feedback_goes_only_between_those_who_were_there_and_for_a_week_after_the_end(
        room: Room) -> None:
    ids = room.circle.ids
    for name in ("ada", "ben", "cy"):  # Di never comes
        room.enter(name)
    room.phase_order(["checkin", "feedback", "close"])
    room.ok("ada", "live:start")
    room.leave("cy")  # Cy has to go before the feedback round
    room.advance_to("feedback")

    snapshot = room.ok("ada", "live:snapshot")["snapshot"]
    presence = {m["id"]: m["presence"] for m in snapshot["members"]}
    assert presence[ids["di"]] == "absent" and presence[ids["cy"]] in ("reconnecting", "away")
    assert snapshot["feedback"]["open_until"] is None
    assert room.no("ada", "live:feedback", receiver_id=ids["di"], strength="?",
                   suggestion="?") == (
        "receiver_id", ("That member was not in this session, so there is nothing to give "
                       "feedback on."))
    room.ok("ada", "live:feedback", receiver_id=ids["cy"], strength="Warm opening",
            suggestion="Stay for the end")  # Cy was there: she left mid-session
    room.enter("di", join=False)  # a member who never came cannot give any either
    assert room.no("di", "live:feedback", receiver_id=ids["ada"], strength="Hi",
                   suggestion="Hi") == (
        None, "Only members who were in this session give feedback on it.")

    room.advance_to("close")
    ended = room.ok("ada", "live:end")["version"]
    # After the end, from the session's page: Cy gives hers, for a week.
    room.enter("cy")
    snapshot = room.ok("cy", "live:snapshot")["snapshot"]
    assert snapshot["version"] >= ended and snapshot["feedback"]["open_until"] is not None
    room.ok("cy", "live:feedback", receiver_id=ids["ada"], strength="Clear framing",
            suggestion="Fewer slides")
    received = room.ok("ada", "live:snapshot")["snapshot"]["summary"]["feedback"]
    assert [f["strength"] for f in received] == ["Clear framing"]
    assert room.no("di", "live:feedback", receiver_id=ids["ada"], strength="Hi",
                   suggestion="Hi") == (
        None, "Only members who were in this session give feedback on it.")
    with operator_app(room.circle.server) as app, app.app_context():
        low, high = sorted((ids["ada"], ids["cy"]))
        assert orm.session.scalar(select(Interaction.id).where(
            Interaction.session_id == room.circle.session_id, Interaction.kind == "feedback",
            Interaction.low_id == low, Interaction.high_id == high)) is not None
        told = orm.session.scalars(select(Notification.key).where(
            Notification.user_id == ids["ada"])).all()
        assert f"feedback:{room.circle.session_id}:{ids['cy']}" in told
        session = orm.session.get_one(CircleSession, room.circle.session_id)
        session.ended_at = utcnow() - timedelta(days=LATE_FEEDBACK_DAYS, minutes=1)
        orm.session.commit()
        orm.session.remove()
    assert room.no("cy", "live:feedback", receiver_id=ids["ben"], strength="Kind",
                   suggestion="Louder") == (
        None, f"Feedback for this session closed {LATE_FEEDBACK_DAYS} days after it ended.")
