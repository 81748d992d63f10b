"""What one live change costs the database: the statements and round trips of the busiest
changes, counted on the engine (docs/benchmarks.md, "Half the work per change").

Each statement is a round trip to PostgreSQL, and the session mix's changes were 9–10 of
them plus BEGIN and COMMIT; one query now checks the login and reads the session, the
membership and the active phase (issue 18), a retry's first answer is looked for only when a
try fails, and on PostgreSQL the new version and the log entry are written by one statement.
What that one query still refuses at once is tested in tests/live/test_live_login_check.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import event

from circles.extensions import orm
from tests.live.test_live_handlers import call, received, sockets
from tests.support.live_room import Room

__all__ = ["sockets"]  # the fixture, shared with the handler tests


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    from tests.support.live_room import build_room

    return build_room(app, make_user, make_community, make_circle)


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """The statements (and BEGIN / COMMIT / ROLLBACK) the app's engine sends meanwhile."""
    sent: list[str] = []

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        sent.append(" ".join(text.split()))

    def command(name: str) -> Any:
        return lambda *_args: sent.append(name)

    with app.app_context():
        engine = orm.engine
    listeners = [("before_cursor_execute", statement),
                 *((name, command(name.upper())) for name in ("begin", "commit", "rollback"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield sent
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def kinds(sent: list[str]) -> list[str]:
    """Each statement's first word (``SELECT``, ``INSERT``, ``WITH`` …) and the commands."""
    return [text.split(None, 1)[0].upper() for text in sent]


def statements(sent: list[str]) -> int:
    return sum(s not in ("BEGIN", "COMMIT", "ROLLBACK") for s in kinds(sent))


def reads_login_and_session(statement: str) -> bool:
    """Whether ``statement`` is the one query of the login check and the session."""
    return statement.startswith("SELECT") and all(
        table in statement for table in ("login_session", "circle_session", "circle_member"))


def test_a_contribution_is_three_statements_on_postgresql_four_on_sqlite_whatever_came_before(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    for n in range(12):  # a room with some history: nothing per change grows with it
        assert call(sockets["ben"], "live:contribute", {**sid, "kind": "checkin",
                                                        "text": f"Point {n}"})["ok"] is True
    with counted(app) as sent:
        ack = call(sockets["cy"], "live:contribute", {**sid, "kind": "checkin",
                                                      "text": "Glad to be here", "op_id": "c-1"})
    assert ack["ok"] is True
    # The login with the session, membership and phase, the contribution, the log entry
    # (with the version on PostgreSQL; SQLite's flush updates it apart).
    assert statements(sent) == (3 if backend == "postgresql" else 4), kinds(sent)
    assert kinds(sent).count("BEGIN") == 1 and kinds(sent).count("COMMIT") == 1, kinds(sent)
    assert reads_login_and_session(sent[1]), sent[1]
    assert kinds(sent)[2:] == (["INSERT", "WITH", "COMMIT"] if backend == "postgresql"
                               else ["INSERT", "INSERT", "UPDATE", "COMMIT"]), kinds(sent)


@pytest.mark.parametrize(("event_name", "fields"), [
    ("live:hand", {"raised": True}),
    ("live:ready", {"ready": True}),
    ("live:note", {"private": False, "body": "Notes", "base_version": 0}),
])
def test_hands_ready_and_note_saves_are_one_statement_each(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient],
        event_name: str, fields: dict[str, Any]) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    with counted(app) as sent:
        ack = call(sockets["di"], event_name, {**sid, **fields, "op_id": "x-1"})
    assert ack["ok"] is True
    # The login with the session; one UPDATE … RETURNING (a hand: the member's and every
    # raised one, for the room's queue; a ready flag, finding the attendance; a note, only
    # where it is still at the version the save was based on); the log entry (+ version).
    assert statements(sent) == (3 if backend == "postgresql" else 4), kinds(sent)
    assert kinds(sent)[2] == "UPDATE", kinds(sent)
    assert kinds(sent).count("BEGIN") == 1 and kinds(sent).count("COMMIT") == 1, kinds(sent)
    assert reads_login_and_session(sent[1]), sent[1]


@pytest.mark.parametrize("change", ["add", "rename", "timebox", "reorder", "remove"])
def test_an_agenda_change_reads_the_agenda_once_and_sends_it_from_what_it_changed(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient],
        change: str) -> None:
    sid = {"session_id": room.session_id}
    ids = [call(sockets["ben"], "live:agenda_add", {**sid, "title": title})["item_id"]
           for title in ("Hiring", "Feedback", "Burnout")]
    payload = {"add": ("live:agenda_add", {"title": "Budgets"}),
               "rename": ("live:agenda_rename", {"item_id": ids[1], "title": "Giving feedback"}),
               "timebox": ("live:agenda_timebox", {"item_id": ids[0], "timebox_minutes": 25}),
               "reorder": ("live:agenda_reorder", {"item_ids": [ids[2], ids[0], ids[1]]}),
               "remove": ("live:agenda_remove", {"item_id": ids[1]})}[change]
    with counted(app) as sent:
        ack = call(sockets["ben"], payload[0], {**sid, **payload[1], "op_id": f"a-{change}"})
    assert ack["ok"] is True, ack
    # The login with the session; the agenda with whether its phase is done (one query);
    # the write; the log entry (+ version on PostgreSQL). The room's new agenda is built
    # from the items the change holds, not read again after the write.
    assert statements(sent) == (4 if backend == "postgresql" else 5), kinds(sent)
    assert reads_login_and_session(sent[1]), sent[1]
    agenda_reads = [s for s in sent[2:] if s.startswith("SELECT") and "agenda_item" in s]
    assert len(agenda_reads) == 1, agenda_reads
    with app.app_context():
        from circles.live.snapshot import agenda_view

        broadcast = received(sockets["cy"], "live:changed")[-1]["change"]["agenda"]
        assert broadcast == agenda_view(orm.session, room.session_id)


def test_an_advance_reads_the_phases_once_and_clears_ready_flags_in_one_statement(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    for name in ("ben", "cy", "di"):
        assert call(sockets[name], "live:ready", {**sid, "ready": True})["ok"] is True
    with counted(app) as sent:
        ack = call(sockets["ada"], "live:advance", {**sid, "op_id": "a-1"})
    assert ack["ok"] is True
    phase_reads = [s for s in sent[2:] if s.startswith("SELECT") and "FROM session_phase" in s]
    attendance = [s for s in sent if "attendance" in s.split(" WHERE ")[0]]
    assert len(phase_reads) == 1, phase_reads  # and its stages, loaded with it
    assert len(attendance) == 1 and attendance[0].startswith("UPDATE"), attendance
    with app.app_context():
        from sqlalchemy import select

        from circles.models import Attendance
        assert not any(orm.session.scalars(select(Attendance.ready).where(
            Attendance.session_id == room.session_id)))


def test_a_contribution_reads_the_stage_under_way_not_every_stage_of_its_phase(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    """The joined read brings one row: a check-in has a stage per member, and reading them
    all multiplied the row by the circle's size on every change (issue 18)."""
    from circles.models import SessionStage

    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    loaded: list[int] = []

    def on_load(stage: SessionStage, _context: Any) -> None:
        loaded.append(stage.id)

    event.listen(SessionStage, "load", on_load)
    try:
        ack = call(sockets["cy"], "live:contribute", {**sid, "kind": "checkin",
                                                      "text": "Glad to be here"})
    finally:
        event.remove(SessionStage, "load", on_load)
    assert ack["ok"] is True
    with app.app_context():
        from sqlalchemy import func, select
        stages = orm.session.scalar(select(func.count(SessionStage.id)))
    assert stages is not None and stages > 1  # the check-in has a turn per member
    assert len(loaded) == 1, loaded


def test_feedback_checks_membership_presence_and_an_earlier_one_in_one_query(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient]) -> None:
    """A feedback phase is a burst of feedback: the receiver's seat, both attendances and a
    feedback to rewrite are one query, not four (issue 18)."""
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    while call(sockets["ada"], "live:snapshot", sid)["snapshot"]["phases"][4]["status"] != (
            "active"):  # the feedback phase
        assert call(sockets["ada"], "live:advance", sid)["ok"] is True
    given = {**sid, "receiver_id": room.di, "strength": "Clear", "suggestion": "Slower"}
    for attempt in ("first", "rewrite"):
        with counted(app) as sent:
            ack = call(sockets["ben"], "live:feedback", {**given, "op_id": f"f-{attempt}",
                                                         "suggestion": f"Slower ({attempt})"})
        assert ack["ok"] is True, ack
        # The login with the session, the one query, the feedback (and, on a rewrite, the
        # feedback read by its id first), the log entry with the version.
        writes = (["INSERT", "WITH"] if backend == "postgresql" else ["INSERT", "INSERT", "UPDATE"]
                  ) if attempt == "first" else (
            ["SELECT", "UPDATE", "WITH"] if backend == "postgresql"
            else ["SELECT", "UPDATE", "INSERT", "UPDATE"])
        assert reads_login_and_session(sent[1]), sent[1]
        assert kinds(sent)[2:] == ["SELECT", *writes, "COMMIT"], kinds(sent)
    refused = call(sockets["ben"], "live:feedback", {**given, "receiver_id": room.ben})
    assert refused["ok"] is False and refused["field"] == "receiver_id"


@pytest.mark.parametrize(("who", "event_name", "fields", "refusal"), [
    ("ben", "live:timer", {"action": "start", "minutes": 3}, None),  # the timekeeper
    ("ada", "live:timer", {"action": "start", "minutes": 3}, None),  # the facilitator
    ("ada", "live:prompt", {"prompt": "What is on your mind?"}, None),
    ("cy", "live:timer", {"action": "start", "minutes": 3},
     "Only the timekeeper or the facilitator can run the timer."),
    ("ben", "live:prompt", {"prompt": "Mine now"},
     "Only the facilitator can change the check-in prompt."),
])
def test_a_role_holders_change_reads_their_roles_with_the_login_and_the_session(
        app: Flask, backend: str, room: Room, sockets: dict[str, SocketIOTestClient],
        who: str, event_name: str, fields: dict[str, Any], refusal: str | None) -> None:
    sid = {"session_id": room.session_id}
    assert call(sockets["ada"], "live:start", sid)["ok"] is True
    with counted(app) as sent:
        ack = call(sockets[who], event_name, {**sid, **fields, "op_id": "r-1"})
    assert ack["ok"] is (refusal is None) and ack.get("error") == refusal, ack
    # The login with the session, which also says which roles the member holds: no read of
    # the session's roles apart.
    assert reads_login_and_session(sent[1]) and "session_role" in sent[1], sent[1]
    assert not any("session_role" in s for s in sent[2:]), kinds(sent)
