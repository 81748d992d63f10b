"""Peer-consulting formats in the live room's domain: rounds and roles per round, the
client's read-only turn-away, Troika's trios, questions only, fixed airtime, equal airtime.

Each test runs on SQLite and PostgreSQL. Five members: Ada facilitates, Ben keeps time, Cy
takes notes; Di and Eve are members.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput
from circles.live import agenda, airtime, clearness, formats, presence
from circles.live import phases as live
from circles.live.room import current_phase, current_stage
from circles.live.snapshot import private_view, snapshot
from circles.models import CircleSession, Commitment, SessionRole, User, utcnow

NAMES = ("ada", "ben", "cy", "di", "eve")


@dataclass
class Five:
    circle_id: int
    ids: dict[str, int]

    def session(self, db: Session, format: str, **extra: Any) -> int:
        """A scheduled session in ``format`` (Ada facilitates, Ben keeps time, Cy notes)."""
        db.commit()  # let go of any read transaction (SQLite's writer lock)
        session = CircleSession(circle_id=self.circle_id, title="Session", starts_at=utcnow(),
                                format=format, **extra)
        session.roles = [SessionRole(role=role, user_id=self.ids[name]) for role, name in
                         (("facilitator", "ada"), ("timekeeper", "ben"), ("note_taker", "cy"))]
        db.add(session)
        db.commit()
        return session.id


@pytest.fixture
def five(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Five:
    people = {name: make_user(display_name=name.title()) for name in NAMES}
    community = make_community(people["ada"], members=[people[n] for n in NAMES[1:]])
    circle = make_circle(community, [people[n] for n in NAMES], name="Five")
    return Five(circle.id, {name: user.id for name, user in people.items()})


def who(db: Session, uid: int) -> User:
    return db.get_one(User, uid)


def start(db: Session, five: Five, session_id: int, names: tuple[str, ...] = NAMES,
          now: datetime | None = None) -> None:
    for name in names:
        presence.join(db, who(db, five.ids[name]), session_id, f"sid-{name}-{session_id}")
    live.start(db, who(db, five.ids["ada"]), session_id, now=now)
    db.commit()


def to_rounds(db: Session, five: Five, session_id: int, now: datetime | None = None) -> None:
    for _ in range(20):
        phase = current_phase(db, session_id)
        if phase is not None and phase.kind == "rounds":
            return
        live.advance(db, who(db, five.ids["ada"]), session_id, now=now)
        db.commit()
    pytest.fail("never reached the rounds")


def test_wise_crowds_gives_everyone_a_round_of_four_timed_steps(
        app: Flask, db: Session, five: Five) -> None:
    session_id = five.session(db, "wise_crowds")
    start(db, five, session_id)
    kinds = [p["kind"] for p in snapshot(db, who(db, five.ids["di"]), session_id)["phases"]]
    assert kinds == ["checkin", "rounds", "close"]
    to_rounds(db, five, session_id)
    stages = current_phase(db, session_id).stages  # type: ignore[union-attr]
    assert [(s.step, s.seconds) for s in stages[:4]] == [
        ("present", 120), ("clarify", 180), ("discuss", 480), ("respond", 120)]
    clients = [s.focus_user_id for s in stages[::4]]
    assert sorted(clients) == sorted(five.ids.values())  # everyone is a client once
    for stage in stages:
        assert stage.recorder_id is not None and stage.recorder_id != stage.focus_user_id
    recorded = [s.recorder_id for s in stages[::4]]
    assert len(set(recorded)) == 5  # the recorder rotates too
    assert formats.clients_of(db, session_id) == [(s.id, s.focus_user_id) for s in stages]
    # The timer's default length is the step's.
    live.timer(db, who(db, five.ids["ben"]), session_id, "start")
    assert current_stage(db, session_id).ends_at is not None  # type: ignore[union-attr]


def test_the_client_turns_away_while_the_consultants_discuss(
        app: Flask, db: Session, five: Five) -> None:
    session_id = five.session(db, "wise_crowds")
    start(db, five, session_id)
    to_rounds(db, five, session_id)
    ada = who(db, five.ids["ada"])
    client = who(db, current_stage(db, session_id).focus_user_id)  # type: ignore[arg-type, union-attr]
    consultant = next(who(db, uid) for uid in five.ids.values() if uid != client.id)
    agenda.contribute(db, client, session_id, "story", "My team will not talk to me.")
    live.advance(db, ada, session_id)  # clarify
    agenda.contribute(db, consultant, session_id, "question", "Since when?")
    live.advance(db, ada, session_id)  # discuss: the client only listens
    assert current_stage(db, session_id).step == "discuss"  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="You have turned away"):
        agenda.contribute(db, client, session_id, "idea", "But…")
    agenda.contribute(db, consultant, session_id, "idea", "A weekly one-to-one.")
    live.advance(db, ada, session_id)  # respond
    agenda.contribute(db, client, session_id, "reflection", "The one-to-one idea.")
    db.commit()


def test_five_people_end_a_wise_crowds_session_with_equal_client_time(
        app: Flask, db: Session, five: Five) -> None:
    """Simulated: each step is advanced when its timer ends, give or take 5 % (a
    facilitator's click); every member ends within ±10 % of an equal share of client time."""
    session_id = five.session(db, "wise_crowds")
    clock = utcnow()
    start(db, five, session_id, now=clock)
    to_rounds(db, five, session_id, now=clock)
    jitter = random.Random(7)
    ada = who(db, five.ids["ada"])
    while (stage := current_stage(db, session_id)) is not None and stage.step is not None:
        clock += timedelta(seconds=stage.seconds * jitter.uniform(0.95, 1.05))  # type: ignore[operator]
        live.advance(db, ada, session_id, now=clock)
        db.commit()
    session = db.get_one(CircleSession, session_id)
    rows = airtime.figures(db, session, clock)
    equal = sum(r["client_seconds"] for r in rows) / len(rows)
    assert len(rows) == 5 and equal == pytest.approx(15 * 60, rel=0.05)
    for row in rows:
        assert row["client_turns"] == 1
        assert abs(row["client_seconds"] - equal) <= 0.10 * equal, row
    assert airtime.nudges(session, rows, {r["member_id"] for r in rows}) == []


def test_airtime_shows_each_member_their_share_and_the_facilitator_the_spread_and_nudges(
        app: Flask, db: Session, five: Five) -> None:
    session_id = five.session(db, "wise_crowds")
    clock = utcnow()
    start(db, five, session_id, now=clock)
    to_rounds(db, five, session_id, now=clock)
    ada = who(db, five.ids["ada"])
    client = current_stage(db, session_id).focus_user_id  # type: ignore[union-attr]
    live.advance(db, ada, session_id, now=clock + timedelta(minutes=2))  # clarify
    talkers = [uid for uid in five.ids.values() if uid != client][:2]
    for n in range(6):
        agenda.contribute(db, who(db, talkers[n % 2]), session_id, "question", f"Why {n}?")
    change = live.advance(db, ada, session_id, now=clock + timedelta(minutes=5))
    db.commit()
    private = dict(change.private)
    quiet = next(uid for uid in five.ids.values() if uid not in (client, *talkers))
    assert private[quiet]["type"] == "airtime"
    assert private[quiet]["airtime"]["nudges"] == ["contributor"]
    assert private[quiet]["airtime"]["equal_share"] == 0.2
    assert "everyone" not in private[quiet]["airtime"]
    mine = private[talkers[0]]["airtime"]["mine"]
    assert mine["contributions"] == 3 and mine["contributor_share"] == 0.5
    assert mine["contributor_seconds"] == 90  # half of the 3-minute clarify step
    everyone = private[five.ids["ada"]]["airtime"]["everyone"]
    assert everyone["spread"]["contributor_share"] == 0.5
    assert {n["member_id"] for n in everyone["nudges"]} >= {quiet}
    client_row = next(r for r in everyone["members"] if r["member_id"] == client)
    assert client_row["client_seconds"] == 300 and client_row["client_turns"] == 1
    # The snapshot carries the same view.
    assert snapshot(db, who(db, quiet), session_id)["airtime"]["nudges"] == ["contributor"]


def test_troika_splits_the_room_into_trios_that_each_see_their_own_talk(
        app: Flask, db: Session, five: Five) -> None:
    session_id = five.session(db, "troika")
    start(db, five, session_id)
    to_rounds(db, five, session_id)
    phase = current_phase(db, session_id)
    assert phase is not None and phase.trios is not None
    assert sorted(len(t) for t in phase.trios) == [2, 3]
    assert sorted(uid for t in phase.trios for uid in t) == sorted(five.ids.values())
    assert [(s.step, s.seconds) for s in phase.stages[:3]] == [
        ("present", 240), ("discuss", 240), ("respond", 120)]
    first = phase.stages[0]
    assert sorted(uid for _, uid in formats.clients_of(db, session_id)
                  if _ == first.id) == sorted(t[0] for t in phase.trios)
    big, pair = sorted(phase.trios, key=len, reverse=True)
    said = agenda.contribute(db, who(db, big[1]), session_id, "question", "What is at stake?")
    assert said.change == {"type": "trio_contribution", "stage_id": first.id, "trio":
                           phase.trios.index(big)}
    assert sorted(uid for uid, _ in said.private) == sorted(big)
    db.commit()
    texts = lambda uid: [c["text"] for c in snapshot(db, who(db, uid), session_id)[
        "contributions"]]
    assert texts(big[2]) == ["What is at stake?"]
    assert texts(pair[1]) == []
    # A catch-up gives each member their trio's contributions and their airtime.
    session = db.get_one(CircleSession, session_id)
    mine = private_view(db, session, big[2])
    assert [c["text"] for c in mine["trio_contributions"]] == ["What is at stake?"]
    assert mine["airtime"]["mine"]["member_id"] == big[2]
    assert private_view(db, session, pair[1])["trio_contributions"] == []
    ada = who(db, five.ids["ada"])
    live.advance(db, ada, session_id)  # discuss: each trio's client turns away
    with pytest.raises(Conflict, match="turned away"):
        agenda.contribute(db, who(db, pair[0]), session_id, "idea", "Hm")
    agenda.contribute(db, who(db, pair[1]), session_id, "idea", "Try asking.")
    for _ in range(4):  # respond, then round two
        live.advance(db, ada, session_id)
    # Round three: the pair has no third member, so it has a free round.
    live.advance(db, ada, session_id)
    live.advance(db, ada, session_id)
    assert current_stage(db, session_id).round == 2  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="no round under way"):
        agenda.contribute(db, who(db, pair[0]), session_id, "idea", "Hm")
    # Rejoined after: the close phase is the whole room's again.
    for _ in range(2):
        live.advance(db, ada, session_id)
    assert current_phase(db, session_id).kind == "close"  # type: ignore[union-attr]
    summary = live.end(db, ada, session_id).change
    assert summary is not None and summary["summary"]["contributions"] == []


def test_a_clearness_committee_takes_open_questions_only_and_stops_advice(
        app: Flask, db: Session, five: Five) -> None:
    session_id = five.session(db, "clearness", focus_person_id=five.ids["di"],
                              writeup="Should I leave research?")
    start(db, five, session_id)
    to_rounds(db, five, session_id)
    stages = current_phase(db, session_id).stages  # type: ignore[union-attr]
    assert {s.focus_user_id for s in stages} == {five.ids["di"]}
    assert stages[0].recorder_id not in (None, five.ids["di"])
    eve, ada = who(db, five.ids["eve"]), who(db, five.ids["ada"])
    assert snapshot(db, eve, session_id)["session"]["writeup"] == "Should I leave research?"
    live.advance(db, ada, session_id)  # questions
    with pytest.raises(InvalidInput) as refused:
        agenda.contribute(db, eve, session_id, "idea", "Just quit.")
    assert refused.value.errors["kind"].startswith("A clearness committee takes open questions")
    kept = agenda.contribute(db, eve, session_id, "question", "What would you miss?")
    advice = agenda.contribute(db, eve, session_id, "question", "Have you tried quitting?")
    with pytest.raises(Conflict, match="Only the facilitator can stop"):
        clearness.stop(db, who(db, five.ids["ben"]), session_id,
                       advice.result["contribution_id"])
    stopped = clearness.stop(db, ada, session_id, advice.result["contribution_id"])
    db.commit()
    assert stopped.change == {"type": "contribution_stopped",
                              "contribution_id": advice.result["contribution_id"]}
    assert [uid for uid, _ in stopped.private] == [eve.id]
    assert "advice in disguise" in stopped.private[0][1]["message"]
    shown = snapshot(db, who(db, five.ids["di"]), session_id)["contributions"]
    assert [c["id"] for c in shown] == [kept.result["contribution_id"]]
    with pytest.raises(Conflict, match="stopped"):
        agenda.edit_contribution(db, eve, session_id, advice.result["contribution_id"], "x")


def test_an_action_learning_set_opens_with_reports_back_and_fixes_airtime(
        app: Flask, db: Session, five: Five) -> None:
    earlier = five.session(db, "action_learning")
    db.add(Commitment(circle_id=five.circle_id, session_id=earlier, user_id=five.ids["di"],
                      text="Talk to my manager"))
    db.commit()
    session_id = five.session(db, "action_learning")
    start(db, five, session_id)
    phase = current_phase(db, session_id)
    assert phase is not None and phase.kind == "review"
    assert [s.focus_user_id for s in phase.stages] == [five.ids["di"]]
    kinds = [p["kind"] for p in snapshot(db, who(db, five.ids["di"]), session_id)["phases"]]
    assert kinds == ["review", "rounds", "commitments", "close"]
    to_rounds(db, five, session_id)
    stages = current_phase(db, session_id).stages  # type: ignore[union-attr]
    assert [(s.step, s.seconds) for s in stages] == [("present", 900)] * 5
    ben = who(db, five.ids["ben"])
    live.timer(db, ben, session_id, "start")
    with pytest.raises(Conflict, match="fixed airtime"):
        live.timer(db, ben, session_id, "extend", minutes=5)


def test_clients_of_names_the_focus_member_of_each_focus_round_in_the_circles_own_format(
        db: Session, five: Five) -> None:
    session_id = five.session(db, "circle")
    start(db, five, session_id)
    agenda.add_item(db, who(db, five.ids["di"]), session_id, "Saying no", 10)
    agenda.add_item(db, who(db, five.ids["eve"]), session_id, "Asking for more", 10)
    for _ in range(20):
        if (phase := current_phase(db, session_id)) is not None and phase.kind == "focus":
            break
        live.advance(db, who(db, five.ids["ada"]), session_id)
    focus = current_phase(db, session_id)
    assert focus is not None and focus.kind == "focus"
    assert formats.clients_of(db, session_id) == [
        (focus.stages[0].id, five.ids["di"]), (focus.stages[1].id, five.ids["eve"])]


def test_clients_rotate_fairly_across_sessions(app: Flask, db: Session, five: Five) -> None:
    first = five.session(db, "action_learning")
    start(db, five, first, names=("ada", "ben"))
    to_rounds(db, five, first)
    assert [uid for _, uid in formats.clients_of(db, first)] == sorted(
        [five.ids["ada"], five.ids["ben"]])
    second = five.session(db, "action_learning")
    start(db, five, second)
    to_rounds(db, five, second)
    order = [uid for _, uid in formats.clients_of(db, second)]
    assert order[:3] == sorted(five.ids[n] for n in ("cy", "di", "eve"))  # never a client first


@pytest.mark.parametrize(("size", "groups"), [(3, [3]), (4, [4]), (5, [3, 2]), (6, [3, 3]),
                                              (7, [4, 3]), (8, [3, 3, 2]), (10, [4, 3, 3])])
def test_trios_split_a_room_of_any_size(size: int, groups: list[int]) -> None:
    assert [len(t) for t in formats.trios(list(range(1, size + 1)))] == groups


def test_recorders_never_record_their_own_round_and_take_turns() -> None:
    members = [1, 2, 3, 4]
    chosen = formats.recorders(members, members)
    assert all(c != r for c, r in zip(members, chosen, strict=True))
    assert sorted(chosen) == members  # type: ignore[type-var]


def test_a_format_rounds_harvest_reaches_its_client_alone(
        app: Flask, db: Session, five: Five) -> None:
    """What consultants offer a Wise Crowds client lands in that client's harvest only, and a
    contribution the facilitator stopped is not offered."""
    from sqlalchemy import select

    from circles.growth import harvest
    from circles.models import HarvestItem

    session_id = five.session(db, "wise_crowds")
    start(db, five, session_id)
    to_rounds(db, five, session_id)
    client = who(db, current_stage(db, session_id).focus_user_id)  # type: ignore[arg-type, union-attr]
    others = [who(db, uid) for uid in five.ids.values() if uid != client.id]
    agenda.contribute(db, client, session_id, "story", "My team will not talk to me.")
    live.advance(db, who(db, five.ids["ada"]), session_id)  # clarify
    agenda.contribute(db, others[0], session_id, "question", "Since when?")
    agenda.contribute(db, others[1], session_id, "idea", "A weekly one-to-one.")
    db.commit()
    session = db.get_one(CircleSession, session_id)
    made = harvest.gather(db, session, formats.clients_of(db, session_id))
    db.commit()
    assert set(made) == {client.id}
    rows = db.scalars(select(HarvestItem).where(HarvestItem.session_id == session_id)).all()
    assert sorted((r.user_id, r.text) for r in rows) == [
        (client.id, "A weekly one-to-one."), (client.id, "Since when?")]


def test_a_troika_client_harvests_only_their_own_trios_talk(
        app: Flask, db: Session, five: Five) -> None:
    from sqlalchemy import select

    from circles.growth import harvest
    from circles.models import HarvestItem

    session_id = five.session(db, "troika")
    start(db, five, session_id)
    to_rounds(db, five, session_id)
    phase = current_phase(db, session_id)
    assert phase is not None and phase.trios is not None
    big, pair = sorted(phase.trios, key=len, reverse=True)
    agenda.contribute(db, who(db, big[1]), session_id, "question", "What is at stake?")
    agenda.contribute(db, who(db, pair[1]), session_id, "question", "Who decides?")
    db.commit()
    harvest.gather(db, db.get_one(CircleSession, session_id), formats.clients_of(db, session_id))
    db.commit()
    got = sorted((r.user_id, r.text) for r in db.scalars(
        select(HarvestItem).where(HarvestItem.session_id == session_id)))
    assert got == sorted([(big[0], "What is at stake?"), (pair[0], "Who decides?")])
