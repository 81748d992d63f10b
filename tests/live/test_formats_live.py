"""Five members run each peer-consulting format end to end through real Socket.IO clients on
a live server: Wise Crowds (roles per round, timings, the client's read-only turn-away,
airtime), Troika (trios split, each seeing its own talk, rejoined after), a clearness
committee (questions only, a stopped question) and two action learning sets (fixed airtime;
the second opens with reports back on the first's commitments).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.models import CircleSession, Membership, SessionRole, User, utcnow
from tests.live.test_live_contract import FORMATS_ONLY, the_wire
from tests.live.test_live_session_flow import Circle, Seat
from tests.support.live import MACHINE_SPEED_ENV, LiveServer, ServerFactory, http_session

NAMES = ("ada", "ben", "cy", "di", "eve")


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    # Five clients run five sessions back to back at machine speed: flood control is not
    # what this test is about (tests/live/test_flood.py is).
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute", **MACHINE_SPEED_ENV)


def world(server: LiveServer) -> tuple[dict[str, str], dict[str, int], int]:
    """The five signed up through the real forms (cookies, ids) and their circle."""
    cookies = {}
    for name in NAMES:
        browser = http_session(server)
        browser.signup(f"{name}@example.org", name.title())
        cookies[name] = browser.cookie_header()
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            ids = {name: db.execute(select(User.id).where(
                User.email == f"{name}@example.org")).scalar_one() for name in NAMES}
            community = create_community(db, db.get_one(User, ids["ada"]), name="Formats")
            for name in NAMES[1:]:
                db.add(Membership(community=community, user_id=ids[name], role="member"))
            db.flush()
            circle = create_circle(db, community, db.get_one(User, ids["ada"]), name="Five",
                                   member_ids=list(ids.values()))
            db.commit()
            return cookies, ids, circle.id
    finally:
        engine.dispose()


def plan(server: LiveServer, circle_id: int, ids: dict[str, int], format: str,
         **extra: Any) -> int:
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            session = CircleSession(circle_id=circle_id, title=format, starts_at=utcnow(),
                                    format=format, **extra)
            session.roles = [SessionRole(role="facilitator", user_id=ids["ada"]),
                             SessionRole(role="timekeeper", user_id=ids["ben"])]
            db.add(session)
            db.commit()
            return session.id
    finally:
        engine.dispose()


@pytest.fixture
def five(server: LiveServer) -> Iterator[tuple[Circle, dict[str, int], int]]:
    cookies, ids, circle_id = world(server)
    seats = {name: Seat(server, name, cookies[name], ids[name]) for name in NAMES}
    with ExitStack() as stack:
        stack.callback(lambda: [s.socket.disconnect() for s in seats.values()])
        yield Circle(seats), ids, circle_id


def enter(circle: Circle, session_id: int) -> None:
    for seat in circle.seats.values():
        seat.socket.disconnect()
        seat.connect(session_id)
    circle.everyone_at(circle["ada"].ok("live:start")["version"])


def rounds_phase(circle: Circle) -> dict[str, Any]:
    for _ in range(10):
        snap = circle["ada"].snapshot()
        active = next(p for p in snap["phases"] if p["status"] == "active")
        if active["kind"] == "rounds":
            return dict(active)
        circle.advance()
    pytest.fail("never reached the rounds")


def active_stage(circle: Circle, name: str = "ada") -> dict[str, Any]:
    phase = next(p for p in circle[name].snapshot()["phases"] if p["status"] == "active")
    return dict(next(s for s in phase["stages"] if s["status"] == "active"))


def name_of(circle: Circle, uid: int) -> str:
    return next(n for n, s in circle.seats.items() if s.id == uid)


def finish(circle: Circle) -> None:
    circle.everyone_at(circle["ada"].ok("live:end")["version"])


@pytest.mark.live
def test_each_format_runs_end_to_end_with_real_clients(
        server: LiveServer, five: tuple[Circle, dict[str, int], int]) -> None:
    circle, ids, circle_id = five
    wise_crowds(circle, plan(server, circle_id, ids, "wise_crowds"))
    troika(circle, plan(server, circle_id, ids, "troika"))
    clearness(circle, plan(server, circle_id, ids, "clearness", focus_person_id=ids["di"],
                           writeup="Should I leave research for industry?"))
    action_learning(circle, plan(server, circle_id, ids, "action_learning"),
                    plan(server, circle_id, ids, "action_learning"))
    # Every client here is held to docs/realtime/schemas (tests/support/contract.py): what
    # only a format sends was on the wire, and kept its schema.
    seen = the_wire()
    assert FORMATS_ONLY["acks"] <= seen["ok"] & seen["refused"]
    assert FORMATS_ONLY["changes"] <= seen["changes"]
    assert FORMATS_ONLY["private"] | {"airtime"} <= seen["private"]


def wise_crowds(circle: Circle, session_id: int) -> None:
    enter(circle, session_id)
    phase = rounds_phase(circle)
    assert [(s["step"], s["seconds"]) for s in phase["stages"][:4]] == [
        ("present", 120), ("clarify", 180), ("discuss", 480), ("respond", 120)]
    clients = [s["clients"] for s in phase["stages"][::4]]
    assert sorted(c for [c] in clients) == sorted(s.id for s in circle.seats.values())
    for number, [client_id] in enumerate(clients):
        client = circle[name_of(circle, client_id)]
        stage = active_stage(circle)
        assert stage["round"] == number and stage["recorder_id"] not in (None, client_id)
        consultant = next(s for s in circle.seats.values() if s.id != client_id)
        if number == 0:  # the timekeeper's start takes the step's length
            timer = circle["ben"].ok("live:timer", action="start")
            circle.everyone_at(timer["version"])
            ends = datetime.fromisoformat(active_stage(circle)["timer"]["ends_at"])
            assert ends - utcnow() == pytest.approx(timedelta(seconds=120), abs=timedelta(
                seconds=10))
        circle.everyone_at(client.ok("live:contribute", kind="story", text="My team")["version"])
        circle.advance()  # clarify
        circle.everyone_at(consultant.ok("live:contribute", kind="question",
                                         text="Since when?")["version"])
        circle.advance()  # discuss: the client has turned away
        assert "turned away" in client.refused("live:contribute", kind="idea", text="But")
        circle.everyone_at(consultant.ok("live:contribute", kind="idea",
                                         text="Weekly 1:1s")["version"])
        circle.advance()  # respond
        circle.everyone_at(client.ok("live:contribute", kind="reflection",
                                     text="The 1:1s")["version"])
        circle.advance()
    assert circle.phase() == "close"
    # After each step every member was told their airtime; the facilitator saw everyone's.
    airtime = circle["ada"].private_of("airtime", 20)[-1]["airtime"]
    assert [r["client_turns"] for r in airtime["everyone"]["members"]] == [1] * 5
    assert "everyone" not in circle["di"].private_of("airtime", 20)[-1]["airtime"]
    finish(circle)


def troika(circle: Circle, session_id: int) -> None:
    enter(circle, session_id)
    phase = rounds_phase(circle)
    big, pair = sorted(phase["trios"], key=len, reverse=True)
    assert (len(big), len(pair)) == (3, 2)
    assert sorted(phase["stages"][0]["clients"]) == sorted([big[0], pair[0]])
    speaker, listener = circle[name_of(circle, big[1])], circle[name_of(circle, big[2])]
    outsider = circle[name_of(circle, pair[1])]
    said = speaker.ok("live:contribute", kind="question", text="What is at stake?")
    circle.everyone_at(said["version"])
    assert outsider.seen[-1]["change"] == {"type": "trio_contribution",
                                           "stage_id": phase["stages"][0]["id"],
                                           "trio": phase["trios"].index(big)}
    [heard] = listener.private_of("contribution", 1)
    assert heard["contribution"]["text"] == "What is at stake?"
    assert outsider.snapshot()["contributions"] == []
    assert [c["text"] for c in listener.snapshot()["contributions"]] == ["What is at stake?"]
    circle.advance()  # discuss: each trio's client turns away
    assert "turned away" in circle[name_of(circle, pair[0])].refused(
        "live:contribute", kind="idea", text="Hm")
    for _ in range(8):  # the rest of the three rounds
        circle.advance()
    assert circle.phase() == "close"  # rejoined: the whole room again
    version = outsider.ok("live:contribute", kind="appreciation", text="Thanks all")["version"]
    circle.everyone_at(version)
    assert "Thanks all" in [c["text"] for c in speaker.snapshot()["contributions"]]
    finish(circle)


def clearness(circle: Circle, session_id: int) -> None:
    enter(circle, session_id)
    assert circle["eve"].snapshot()["session"]["writeup"] == (
        "Should I leave research for industry?")
    phase = rounds_phase(circle)
    assert {c for s in phase["stages"] for c in s["clients"]} == {circle["di"].id}
    circle.advance()  # questions
    refusal = circle["eve"].refused("live:contribute", kind="idea", text="Just quit")
    assert refusal.startswith("A clearness committee takes open questions only")
    kept = circle["eve"].ok("live:contribute", kind="question", text="What would you miss?")
    advice = circle["cy"].ok("live:contribute", kind="question", text="Have you tried quitting?")
    circle.everyone_at(advice["version"])
    assert "Only the facilitator" in circle["ben"].refused(
        "live:stop", contribution_id=advice["contribution_id"])
    stopped = circle["ada"].ok("live:stop", contribution_id=advice["contribution_id"])
    circle.everyone_at(stopped["version"])
    [told] = circle["cy"].private_of("contribution_stopped", 1)
    assert "advice in disguise" in told["message"]
    assert [c["id"] for c in circle["di"].snapshot()["contributions"]] == [
        kept["contribution_id"]]
    finish(circle)


def action_learning(circle: Circle, first: int, second: int) -> None:
    enter(circle, first)
    phase = rounds_phase(circle)
    assert [(s["step"], s["seconds"]) for s in phase["stages"]] == [("present", 900)] * 5
    circle.everyone_at(circle["ben"].ok("live:timer", action="start")["version"])
    assert "fixed airtime" in circle["ben"].refused("live:timer", action="extend", minutes=5)
    for _ in range(5):
        circle.advance()
    assert circle.phase() == "commitments"
    due = (date.today() + timedelta(days=14)).isoformat()
    circle.everyone_at(circle["cy"].ok("live:commit", text="Pilot the new rota",
                                       due_on=due)["version"])
    finish(circle)
    enter(circle, second)
    snap = circle["cy"].snapshot()
    assert [p["kind"] for p in snap["phases"]] == ["review", "rounds", "commitments", "close"]
    assert circle.phase() == "review"
    assert active_stage(circle)["focus_user_id"] == circle["cy"].id
    [owed] = snap["commitments"]["to_review"]
    circle.everyone_at(circle["cy"].ok("live:review", commitment_id=owed["id"],
                                       status="kept", reflection="It worked")["version"])
    finish(circle)
