"""Four members run two whole sessions through real Socket.IO clients on a live server.

Every phase of the first session, with a facilitator who drops out (the timekeeper takes
over after the grace period, the facilitator takes it back on return), a member who
reconnects in the middle and gets a snapshot at the current version, feedback that only
its receiver sees, and the commitments of session one up for review in session two.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.models import CircleSession, Membership, SessionRole, User, utcnow
from tests.support.live import MACHINE_SPEED_ENV, LiveServer, ServerFactory, http_session
from tests.support.live_socket import WAIT, Member

NAMES = ("ada", "ben", "cy", "di")
#: Seconds; LIVE_FACILITATOR_GRACE of this test's server. The take-over just after the
#: facilitator drops must reach the server within it (under a loaded machine 1 s was not
#: enough); the test then waits for the grace to run out, not for a fixed time.
GRACE = 4


class Seat:
    """One member's socket in the room: calls that must succeed, and the changes it saw."""

    def __init__(self, server: LiveServer, name: str, cookie: str, user_id: int) -> None:
        self.server, self.name, self.cookie, self.id = server, name, cookie, user_id
        self.session_id = 0
        self.version = 0
        self.seen: list[dict[str, Any]] = []  # live:changed payloads, in arrival order
        self.private: list[dict[str, Any]] = []  # live:private payloads
        self.socket = Member(server, cookie)

    def connect(self, session_id: int) -> dict[str, Any]:
        """Connect (again) and join the room; the ack's snapshot replaces local state."""
        self.socket = Member(self.server, self.cookie)
        self.socket.connect()
        self.session_id = session_id
        ack = self.ok("live:join")
        self.version = ack["snapshot"]["version"]
        return dict(ack["snapshot"])

    def ok(self, event: str, **fields: Any) -> dict[str, Any]:
        ack = self.socket.call(event, {"session_id": self.session_id, **fields})
        assert ack["ok"] is True, f"{self.name} {event}: {ack}"
        return dict(ack)

    def refused(self, event: str, **fields: Any) -> str:
        ack = self.socket.call(event, {"session_id": self.session_id, **fields})
        assert ack["ok"] is False, f"{self.name} {event} should have been refused"
        return str(ack["error"])

    def catch_up(self, version: int) -> list[dict[str, Any]]:
        """Read events until the room's change ``version`` has arrived; return the changes."""
        changes = []
        deadline = time.monotonic() + WAIT
        while self.version < version:
            try:
                event, data = self.socket.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"{self.name} never saw version {version} (at {self.version})")
            if event == "live:private":
                self.private.append(data)
            elif event == "live:changed" and data["version"] > self.version:
                self.version = data["version"]
                changes.append(data["change"])
                self.seen.append(data)
        return changes

    def private_of(self, kind: str, count: int) -> list[dict[str, Any]]:
        """The first ``count`` private changes of ``kind`` (read on until they are here: a
        private message follows the room's change of the same version)."""
        deadline = time.monotonic() + WAIT
        while len(found := [p["change"] for p in self.private
                            if p["change"]["type"] == kind]) < count:
            try:
                event, data = self.socket.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"{self.name} got {len(found)} of {count} private {kind!r}")
            if event == "live:private":
                self.private.append(data)
            elif event == "live:changed" and data["version"] > self.version:
                self.version = data["version"]
                self.seen.append(data)
        return found[:count]

    def snapshot(self) -> dict[str, Any]:
        return dict(self.ok("live:snapshot")["snapshot"])


class Circle:
    """The four seats, and the facilitator's view of where the session stands."""

    def __init__(self, seats: dict[str, Seat]) -> None:
        self.seats = seats

    def __getitem__(self, name: str) -> Seat:
        return self.seats[name]

    def everyone_at(self, version: int, *, but: tuple[str, ...] = ()) -> None:
        for name, seat in self.seats.items():
            if name not in but:
                seat.catch_up(version)

    def phase(self, name: str = "ada") -> str:
        phases = self.seats[name].snapshot()["phases"]
        return next(p["kind"] for p in phases if p["status"] == "active")

    def advance(self, by: str = "ada") -> int:
        version = int(self.seats[by].ok("live:advance")["version"])
        self.everyone_at(version)
        return version


# --- setting the world up -------------------------------------------------------------------


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute",
                               FLASK_LIVE_FACILITATOR_GRACE=str(GRACE), **MACHINE_SPEED_ENV)


def people(server: LiveServer) -> dict[str, tuple[str, int]]:
    """Sign the four up through the real forms; their cookies and ids."""
    found = {}
    for name in NAMES:
        browser = http_session(server)
        email = f"{name}@example.org"
        browser.signup(email, name.title())
        found[name] = (browser.cookie_header(), email)
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            ids = {name: db.execute(select(User.id).where(User.email == email)).scalar_one()
                   for name, (_cookie, email) in found.items()}
    finally:
        engine.dispose()
    return {name: (found[name][0], ids[name]) for name in NAMES}


def circle_with_session(server: LiveServer, ids: dict[str, int]) -> tuple[int, int]:
    """A community, the four's circle and its first session (Ada facilitates, Ben keeps
    time), inserted as the scheduling module would."""
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            owner = db.get_one(User, ids["ada"])
            community = create_community(db, owner, name="Live cohort")
            for name in NAMES[1:]:
                db.add(Membership(community=community, user_id=ids[name], role="member"))
            db.flush()
            circle = create_circle(db, community, owner, name="Night owls",
                                   member_ids=[ids[n] for n in NAMES])
            db.commit()
            return circle.id, schedule(db, circle.id, ids["ada"], ids["ben"])
    finally:
        engine.dispose()


def schedule(db: Session, circle_id: int, facilitator: int, timekeeper: int) -> int:
    session = CircleSession(circle_id=circle_id, title="Session", starts_at=utcnow())
    session.roles = [SessionRole(role="facilitator", user_id=facilitator),
                     SessionRole(role="timekeeper", user_id=timekeeper)]
    db.add(session)
    db.commit()
    return session.id


def next_session(server: LiveServer, circle_id: int, ids: dict[str, int]) -> int:
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            return schedule(db, circle_id, ids["ben"], ids["cy"])  # the roles rotate
    finally:
        engine.dispose()


@pytest.fixture
def room(server: LiveServer) -> Iterator[tuple[Circle, int, int]]:
    found = people(server)
    ids = {name: uid for name, (_cookie, uid) in found.items()}
    circle_id, session_id = circle_with_session(server, ids)
    seats = {name: Seat(server, name, cookie, uid) for name, (cookie, uid) in found.items()}
    with ExitStack() as stack:
        for seat in seats.values():
            seat.connect(session_id)
            stack.callback(lambda s=seat: s.socket.disconnect())
        yield Circle(seats), circle_id, session_id


# --- the session --------------------------------------------------------------------------


@pytest.mark.live
def test_four_members_run_a_whole_session_and_review_it_next_time(
        server: LiveServer, room: tuple[Circle, int, int]) -> None:
    circle, circle_id, _session_id = room
    first_version = circle["ada"].ok("live:start")["version"]
    circle.everyone_at(first_version)
    check_in(circle)
    build_agenda(circle)
    focus_rounds_with_a_handover_and_a_reconnect(circle)
    feedback_round(circle)
    commitments(circle)
    close(circle)

    ids = {name: seat.id for name, seat in circle.seats.items()}
    second = next_session(server, circle_id, ids)
    review_next_time(circle, second)


def check_in(circle: Circle) -> None:
    snap = circle["ada"].snapshot()
    assert [p["kind"] for p in snap["phases"]] == [
        "checkin", "review", "agenda", "focus", "feedback", "commitments", "close"]
    circle["ada"].ok("live:prompt", prompt="One word for your week?")
    for name in NAMES:
        turn = circle["ada"].snapshot()["phases"][0]["stages"]
        assert next(s for s in turn if s["status"] == "active")["focus_user_id"] == (
            circle[name].id)
        circle[name].ok("live:contribute", kind="checkin", text=f"{name}: busy")
        circle[name].ok("live:ready", ready=True)
        circle.advance()
    # No commitments yet, so the review phase was passed by.
    assert circle.phase() == "agenda"
    assert all(not m["ready"] for m in circle["ada"].snapshot()["members"])


def build_agenda(circle: Circle) -> None:
    di_item = circle["di"].ok("live:agenda_add", title="Saying no to my manager",
                              timebox_minutes=10)["item_id"]
    cy_item = circle["cy"].ok("live:agenda_add", title="Asking for a raise",
                              timebox_minutes=5)["item_id"]
    version = circle["ben"].ok("live:agenda_reorder", item_ids=[cy_item, di_item])["version"]
    circle.everyone_at(version)
    # Everyone saw the edits live, in order, through the room's changes.
    agenda = circle["ada"].seen[-3:]
    assert [c["change"]["type"] for c in agenda] == ["agenda", "agenda", "agenda"]
    assert [i["title"] for i in agenda[-1]["change"]["agenda"]] == [
        "Asking for a raise", "Saying no to my manager"]
    circle.advance()
    assert circle.phase() == "focus"


def focus_rounds_with_a_handover_and_a_reconnect(circle: Circle) -> None:
    ada, ben, cy, di = (circle[n] for n in NAMES)
    timer = ben.ok("live:timer", action="start")  # the item's timebox: 5 minutes
    [change] = di.catch_up(timer["version"])
    assert change["timer"]["state"] == "running"
    assert 299_000 <= change["timer"]["remaining_ms"] <= 300_000
    made = ada.ok("live:contribute", kind="question", text="What would the raise buy you?")
    di.ok("live:contribute", kind="story", text="I asked once with a list of wins.")
    assert "focus member" in ben.refused("live:helped", contribution_id=made["contribution_id"],
                                         helped=True)
    helped = cy.ok("live:helped", contribution_id=made["contribution_id"], helped=True)
    circle.everyone_at(helped["version"])

    # The facilitator drops out; the timekeeper may take over only after the grace period
    # and with the timer paused.
    ada.socket.disconnect()
    gone = ben.catch_up(ben.version + 1)[-1]
    assert gone["member"] == {**gone["member"], "id": ada.id, "presence": "reconnecting"}
    assert "reconnecting" in ben.refused("live:take_over")
    deadline = time.monotonic() + GRACE + WAIT
    while "reconnecting" in (refusal := ben.refused("live:take_over")):
        assert time.monotonic() < deadline, "the grace period never ran out"
        time.sleep(0.25)
    assert "pause it first" in refusal
    ben.ok("live:timer", action="pause")
    took = ben.ok("live:take_over")
    roles = [c for c in cy.catch_up(took["version"]) if c["type"] == "roles"][-1]["roles"]
    assert roles["facilitator"] == ben.id and roles["handover"]["from"] == ada.id

    # Cy's connection drops in the middle; the session moves on without them.
    cy.socket.disconnect()
    moved = ben.ok("live:advance")["version"]
    di.catch_up(moved)
    rejoined = cy.connect(cy.session_id)
    assert rejoined["version"] >= moved
    assert rejoined["roles"]["facilitator"] == ben.id
    focus = next(p for p in rejoined["phases"] if p["kind"] == "focus")
    assert [s["status"] for s in focus["stages"]] == ["done", "active"]
    assert [c["text"] for c in rejoined["contributions"] if c["helped"]] == [
        "What would the raise buy you?"]

    # Ada comes back, sees the state as it is now, and takes the facilitation back.
    back = ada.connect(ada.session_id)
    assert back["roles"]["handover"]["to"] == ben.id
    returned = ada.ok("live:take_back")["version"]
    circle.everyone_at(returned)
    assert ada.snapshot()["roles"]["facilitator"] == ada.id
    di.ok("live:contribute", kind="resource", text="Crucial Conversations, chapter 3")
    circle.advance()
    assert circle.phase() == "feedback"


def feedback_round(circle: Circle) -> None:
    for giver in NAMES:
        for receiver in NAMES:
            if giver != receiver:
                circle[giver].ok("live:feedback", receiver_id=circle[receiver].id,
                                 strength=f"{giver}->{receiver}: you listen",
                                 suggestion=f"{giver}->{receiver}: speak sooner")
    version = circle["ada"].snapshot()["version"]
    circle.everyone_at(version)
    for name in NAMES:
        seat = circle[name]
        received = [p["feedback"]["strength"] for p in seat.private_of("feedback_received", 3)]
        assert sorted(received) == sorted(f"{g}->{name}: you listen" for g in NAMES if g != name)
        others = [f"->{n}:" for n in NAMES if n != name]
        seen = repr(seat.seen) + repr(seat.snapshot())
        assert not any(other in seen for other in others), f"{name} saw others' feedback"
    circle.advance()
    assert circle.phase() == "commitments"


def commitments(circle: Circle) -> None:
    due = (date.today() + timedelta(days=14)).isoformat()
    for name in NAMES:
        circle[name].ok("live:commit", text=f"{name} will ask for one thing", due_on=due)
    assert circle["di"].refused("live:commit", text="Soon", due_on="soon") == (
        "Choose the date you will have done it by.")
    circle.advance()
    assert circle.phase() == "close"


def close(circle: Circle) -> None:
    circle["di"].ok("live:contribute", kind="appreciation", text="Thank you all")
    ended = circle["ada"].ok("live:end")["version"]
    circle.everyone_at(ended)
    summary = circle["ben"].seen[-1]["change"]
    assert summary["type"] == "ended"
    assert [i["covered"] for i in summary["summary"]["agenda"]] == [True, True]
    assert len(summary["summary"]["commitments"]) == 4
    assert "you listen" not in repr(summary)
    for name in NAMES:
        [mine] = circle[name].private_of("summary_feedback", 1)
        assert sorted(f["giver_id"] for f in mine["feedback"]) == sorted(
            circle[n].id for n in NAMES if n != name)
    for seat in circle.seats.values():
        seat.socket.disconnect()


def review_next_time(circle: Circle, session_id: int) -> None:
    for seat in circle.seats.values():
        seat.connect(session_id)
    ben = circle["ben"]
    circle.everyone_at(ben.ok("live:start")["version"])
    snap = ben.snapshot()
    assert sorted(c["text"] for c in snap["commitments"]["to_review"]) == sorted(
        f"{n} will ask for one thing" for n in NAMES)
    for _ in NAMES:  # four check-in turns, now led by Ben
        circle.advance(by="ben")
    assert circle.phase("ben") == "review"
    for name in NAMES:
        stage = next(s for s in ben.snapshot()["phases"][1]["stages"] if s["status"] == "active")
        assert stage["focus_user_id"] == circle[name].id
        mine = next(c for c in snap["commitments"]["to_review"] if c["user_id"] == circle[name].id)
        circle[name].ok("live:review", commitment_id=mine["id"], status="kept",
                        reflection="Done, and it helped")
        circle.advance(by="ben")
    reviewed = ben.snapshot()["commitments"]["to_review"]
    assert {(c["status"], c["reviewed_in_id"]) for c in reviewed} == {("kept", session_id)}
