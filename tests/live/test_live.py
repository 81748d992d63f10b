"""The live room's domain: role rules, validation, privacy, versions, handover and the end.

Each test runs on SQLite and PostgreSQL. Ada facilitates, Ben keeps time, Cy takes notes,
Di is a member, Olu is in the community but not the circle (tests/support/live_room.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.live import agenda as live_agenda
from circles.live import feedback, notes, presence
from circles.live import phases as live
from circles.live.room import current_phase, current_stage, iso
from circles.live.snapshot import snapshot
from circles.models import (
    Attendance,
    CircleSession,
    Commitment,
    Interaction,
    Presence,
    Question,
    SessionPhase,
    User,
    utcnow,
)
from tests.support.live_room import NAMES, Room, build_room, new_session


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def who(db: Session, uid: int) -> User:
    return db.get_one(User, uid)


def version(db: Session, session_id: int) -> int:
    db.expire_all()
    return db.get_one(CircleSession, session_id).version


def join_all(db: Session, room: Room, names: tuple[str, ...] = NAMES) -> None:
    for name in names:
        presence.join(db, who(db, room.ids[name]), room.session_id, f"sid-{name}")
    db.commit()


def started(db: Session, room: Room) -> None:
    join_all(db, room)
    live.start(db, who(db, room.ada), room.session_id)
    db.commit()


def phase_kind(db: Session, session_id: int) -> str | None:
    phase = current_phase(db, session_id)
    return None if phase is None else phase.kind


def advance_to(db: Session, room: Room, kind: str) -> None:
    for _ in range(30):
        if phase_kind(db, room.session_id) == kind:
            return
        live.advance(db, who(db, room.ada), room.session_id)
        db.commit()
    pytest.fail(f"never reached the {kind} phase")


# --- start, phases, advance -------------------------------------------------------------------


def test_start_builds_phases_in_order_with_a_check_in_turn_per_present_member(
        db: Session, room: Room) -> None:
    join_all(db, room, ("ada", "ben", "cy"))
    before = version(db, room.session_id)
    change = live.start(db, who(db, room.ada), room.session_id)
    db.commit()
    assert change.version == before + 1 == version(db, room.session_id)
    assert change.change is not None and change.change["type"] == "started"
    kinds = [p["kind"] for p in change.change["phases"]]
    assert kinds == ["checkin", "review", "agenda", "focus", "feedback", "commitments", "close"]
    checkin = change.change["phases"][0]
    assert [s["focus_user_id"] for s in checkin["stages"]] == [room.ada, room.ben, room.cy]
    assert checkin["status"] == "active" and checkin["stages"][0]["status"] == "active"
    # A late arrival still gets a check-in turn.
    late = presence.join(db, who(db, room.di), room.session_id, "sid-di")
    assert late.change is not None
    assert [s["focus_user_id"] for s in late.change["phases"][0]["stages"]][-1] == room.di


@pytest.mark.parametrize("name", ["ben", "cy", "di"])
def test_only_the_facilitator_starts_advances_and_ends(db: Session, room: Room,
                                                       name: str) -> None:
    join_all(db, room)
    with pytest.raises(Conflict, match="Only the facilitator can start the session"):
        live.start(db, who(db, room.ids[name]), room.session_id)
    live.start(db, who(db, room.ada), room.session_id)
    db.commit()
    with pytest.raises(Conflict, match="Only the facilitator can advance the session"):
        live.advance(db, who(db, room.ids[name]), room.session_id)
    with pytest.raises(Conflict, match="Only the facilitator can end the session"):
        live.end(db, who(db, room.ids[name]), room.session_id)


def test_a_member_claims_a_vacant_facilitator_role_by_starting(app: Flask, db: Session,
                                                               room: Room) -> None:
    session_id = new_session(app, room.circle_id, {"facilitator": None, "timekeeper": room.ben})
    live.start(db, who(db, room.di), session_id)
    db.commit()
    assert snapshot(db, who(db, room.ada), session_id)["roles"]["facilitator"] == room.di


def test_advance_walks_every_phase_and_builds_focus_rounds_from_the_agenda(
        db: Session, room: Room) -> None:
    started(db, room)
    ada = who(db, room.ada)
    live_agenda.add_item(db, who(db, room.di), room.session_id, "Leading without authority", 15)
    live_agenda.add_item(db, who(db, room.cy), room.session_id, "Asking for a raise", 5)
    for _ in NAMES:  # four check-in turns
        assert phase_kind(db, room.session_id) == "checkin"
        live.advance(db, ada, room.session_id)
    # No commitments yet: the review phase has no stages and is passed.
    assert phase_kind(db, room.session_id) == "agenda"
    live.advance(db, ada, room.session_id)
    stage = current_stage(db, room.session_id)
    assert phase_kind(db, room.session_id) == "focus"
    assert stage is not None and stage.focus_user_id == room.di
    live.advance(db, ada, room.session_id)
    assert current_stage(db, room.session_id).focus_user_id == room.cy  # type: ignore[union-attr]
    for kind in ("feedback", "commitments", "close"):
        live.advance(db, ada, room.session_id)
        assert phase_kind(db, room.session_id) == kind
    with pytest.raises(Conflict, match="last stage; end the session"):
        live.advance(db, ada, room.session_id)
    agenda = snapshot(db, ada, room.session_id)["agenda"]
    assert [item["covered"] for item in agenda] == [True, True]


def test_advance_clears_ready_flags_and_refuses_a_stale_version(db: Session,
                                                                room: Room) -> None:
    started(db, room)
    presence.ready(db, who(db, room.ben), room.session_id, True)
    db.commit()
    ben = next(m for m in snapshot(db, who(db, room.ada), room.session_id)["members"]
               if m["id"] == room.ben)
    assert ben["ready"] is True
    stale = version(db, room.session_id) - 1
    with pytest.raises(Conflict, match="changed meanwhile"):
        live.advance(db, who(db, room.ada), room.session_id, expected_version=stale)
    live.advance(db, who(db, room.ada), room.session_id,
                 expected_version=version(db, room.session_id))
    db.commit()
    assert all(not m["ready"]
               for m in snapshot(db, who(db, room.ada), room.session_id)["members"])


def test_the_circle_can_skip_and_reorder_phases(app: Flask, db: Session, room: Room) -> None:
    order = ["agenda", "checkin", "focus", "close"]
    assert live.set_phase_order(db, who(db, room.di), room.circle_id, order) == order
    db.commit()
    assert live.phase_order(db, room.circle_id) == order
    started(db, room)
    kinds = [p.kind for p in db.scalars(select(SessionPhase).where(
        SessionPhase.session_id == room.session_id).order_by(SessionPhase.position))]
    assert kinds == order
    with pytest.raises(NotFound):
        live.set_phase_order(db, who(db, room.olu), room.circle_id, order)


@pytest.mark.parametrize(("phases", "message"), [
    ("checkin,close", "as a list"),
    (["checkin", "party", "close"], "Unknown phase 'party'"),
    (["checkin", "checkin", "close"], "only once"),
    (["close", "checkin"], "Close must be the last"),
    ([], "Close must be the last"),
    (["focus", "agenda", "close"], "need the agenda phase before"),
])
def test_phase_order_is_validated(db: Session, room: Room, phases: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        live.set_phase_order(db, who(db, room.ada), room.circle_id, phases)
    assert list(caught.value.errors) == ["phases"]


# --- timer --------------------------------------------------------------------------------


def test_timer_start_pause_resume_extend_stop_hold_absolute_times(db: Session,
                                                                  room: Room) -> None:
    started(db, room)
    ben, t0 = who(db, room.ben), utcnow()
    timer = live.timer(db, ben, room.session_id, "start", 120, now=t0).change["timer"]  # type: ignore[index]
    assert timer["state"] == "running" and timer["remaining_ms"] == 120_000
    assert timer["ends_at"] == (t0 + timedelta(seconds=120)).isoformat(timespec="milliseconds")
    paused = live.timer(db, ben, room.session_id, "pause", now=t0 + timedelta(seconds=20))
    assert paused.change["timer"]["remaining_ms"] == 100_000  # type: ignore[index]
    extended = live.timer(db, ben, room.session_id, "extend", 30, now=t0 + timedelta(seconds=90))
    assert extended.change["timer"]["state"] == "paused"  # type: ignore[index]
    assert extended.change["timer"]["remaining_ms"] == 130_000  # type: ignore[index]
    resumed = live.timer(db, ben, room.session_id, "resume", now=t0 + timedelta(seconds=100))
    assert resumed.change["timer"]["ends_at"] == (  # type: ignore[index]
        t0 + timedelta(seconds=230)).isoformat(timespec="milliseconds")
    stopped = live.timer(db, who(db, room.ada), room.session_id, "stop")
    assert stopped.change["timer"]["state"] == "idle"  # type: ignore[index]


@pytest.mark.parametrize(("action", "seconds", "field", "problem"), [
    ("explode", 10, "action", "Choose an action: start, pause"),
    ("start", None, "minutes", "Say how many minutes"),
    ("start", 0, "seconds", "^seconds: Give a whole number of seconds from 1 to 3600"),
    ("start", "60", "seconds", "whole number"),
    ("start", True, "seconds", "whole number"),
])
def test_timer_payload_is_validated(db: Session, room: Room, action: str, seconds: object,
                                    field: str, problem: str) -> None:
    started(db, room)
    with pytest.raises(InvalidInput, match=problem) as caught:
        live.timer(db, who(db, room.ben), room.session_id, action, seconds)
    assert list(caught.value.errors) == [field]


@pytest.mark.parametrize("name", ["cy", "di"])
def test_only_timekeeper_or_facilitator_runs_the_timer(db: Session, room: Room,
                                                       name: str) -> None:
    started(db, room)
    with pytest.raises(Conflict, match="Only the timekeeper or the facilitator"):
        live.timer(db, who(db, room.ids[name]), room.session_id, "start", 60)


def test_focus_round_timer_defaults_to_the_items_timebox(db: Session, room: Room) -> None:
    live_agenda.add_item(db, who(db, room.di), room.session_id, "Salary talk", 7)
    db.commit()
    started(db, room)
    advance_to(db, room, "focus")
    change = live.timer(db, who(db, room.ben), room.session_id, "start")
    assert change.change["timer"]["remaining_ms"] == 7 * 60_000  # type: ignore[index]


# --- agenda and contributions ---------------------------------------------------------------


def test_any_member_adds_reorders_and_timeboxes_but_only_authors_rename(
        db: Session, room: Room) -> None:
    first = live_agenda.add_item(db, who(db, room.di), room.session_id, "  Feedback culture ")
    second = live_agenda.add_item(db, who(db, room.cy), room.session_id, "Mentoring up", 20)
    one, two = first.result["item_id"], second.result["item_id"]
    assert second.version == first.version + 1
    live_agenda.reorder(db, who(db, room.ben), room.session_id, [two, one])
    live_agenda.timebox_item(db, who(db, room.ben), room.session_id, one, 25)
    with pytest.raises(Conflict, match="Only the item's author can rename it"):
        live_agenda.rename_item(db, who(db, room.cy), room.session_id, one, "Mine now")
    with pytest.raises(Conflict, match="Only the item's author can remove it"):
        live_agenda.remove_item(db, who(db, room.ada), room.session_id, one)
    change = live_agenda.rename_item(db, who(db, room.di), room.session_id, one, "Candour")
    assert [(i["title"], i["timebox_minutes"]) for i in change.change["agenda"]] == [  # type: ignore[index]
        ("Mentoring up", 20), ("Candour", 25)]


def test_one_of_my_questions_becomes_an_item_but_not_someone_elses(db: Session,
                                                                   room: Room) -> None:
    mine = Question(user_id=room.di, text="How do I say no to my manager?")
    theirs = Question(user_id=room.cy, text="Cy's private worry")
    db.add_all([mine, theirs])
    db.commit()
    change = live_agenda.add_item(db, who(db, room.di), room.session_id, question_id=mine.id)
    item = change.change["agenda"][0]  # type: ignore[index]
    assert (item["title"], item["source_question_id"]) == (mine.text, mine.id)
    with pytest.raises(NotFound, match="question"):
        live_agenda.add_item(db, who(db, room.di), room.session_id, question_id=theirs.id)


@pytest.mark.parametrize(("fields", "field", "problem"), [
    ({"title": ""}, "title", "cannot be empty"),
    ({"title": "x" * 201}, "title", r"Keep the title to 200 characters \(it has 201\)"),
    ({"title": 42}, "title", "Give the title as text"),
    ({"title": "ok", "timebox_minutes": 0}, "timebox_minutes", "minutes from 1 to 60"),
    ({"title": "ok", "timebox_minutes": 61}, "timebox_minutes", "minutes from 1 to 60"),
    ({"title": "ok", "timebox_minutes": "ten"}, "timebox_minutes", "whole number"),
    ({"title": "ok", "question_id": "1"}, "question_id", "question by its id"),
])
def test_agenda_items_are_validated_and_nothing_half_saved(
        db: Session, room: Room, fields: dict[str, Any], field: str, problem: str) -> None:
    before = version(db, room.session_id)
    with pytest.raises(InvalidInput, match=problem) as caught:
        live_agenda.add_item(db, who(db, room.di), room.session_id, **fields)
    db.rollback()
    assert list(caught.value.errors) == [field]
    assert version(db, room.session_id) == before
    assert snapshot(db, who(db, room.di), room.session_id)["agenda"] == []


def test_reorder_needs_every_item_once(db: Session, room: Room) -> None:
    item = live_agenda.add_item(db, who(db, room.di), room.session_id, "One").result["item_id"]
    for bad in ([item, item], "1", [{"id": item}], [0]):
        with pytest.raises(InvalidInput, match="every agenda item's id once"):
            live_agenda.reorder(db, who(db, room.di), room.session_id, bad)
    for stale in ([], [item + 1000], [item, item + 1]):  # an item added or removed meanwhile
        with pytest.raises(InvalidInput, match="The agenda changed meanwhile"):
            live_agenda.reorder(db, who(db, room.di), room.session_id, stale)


def test_the_agenda_closes_when_its_phase_is_done(db: Session, room: Room) -> None:
    live_agenda.add_item(db, who(db, room.di), room.session_id, "In time")
    db.commit()
    started(db, room)
    advance_to(db, room, "focus")
    with pytest.raises(Conflict, match="agenda phase is over"):
        live_agenda.add_item(db, who(db, room.di), room.session_id, "Too late")


def test_contributions_take_the_kinds_of_their_phase(db: Session, room: Room) -> None:
    live_agenda.add_item(db, who(db, room.di), room.session_id, "Saying no")
    db.commit()
    started(db, room)
    with pytest.raises(InvalidInput, match="The checkin phase takes checkin") as caught:
        live_agenda.contribute(db, who(db, room.ben), room.session_id, "story", "Once...")
    assert list(caught.value.errors) == ["kind"]
    advance_to(db, room, "focus")
    for kind in ("question", "story", "resource", "idea"):
        live_agenda.contribute(db, who(db, room.ben), room.session_id, kind, f"A {kind}")
    with pytest.raises(InvalidInput, match="Choose a kind: question, story"):
        live_agenda.contribute(db, who(db, room.ben), room.session_id, "advice", "Do this")
    with pytest.raises(InvalidInput, match="Keep your contribution to 2,000 characters"):
        live_agenda.contribute(db, who(db, room.ben), room.session_id, "idea", "x" * 2001)


def test_only_the_focus_member_marks_what_helped(db: Session, room: Room) -> None:
    live_agenda.add_item(db, who(db, room.di), room.session_id, "Saying no")
    db.commit()
    started(db, room)
    advance_to(db, room, "focus")
    made = live_agenda.contribute(db, who(db, room.ben), room.session_id, "question",
                                  "What would happen if you said no?")
    cid = made.result["contribution_id"]
    for name in ("ben", "ada"):
        with pytest.raises(Conflict, match="Only the focus member"):
            live_agenda.mark_helped(db, who(db, room.ids[name]), room.session_id, cid, True)
    change = live_agenda.mark_helped(db, who(db, room.di), room.session_id, cid, True)
    assert change.change["contribution"]["helped"] is True  # type: ignore[index]
    with pytest.raises(Conflict, match="Only its author"):
        live_agenda.edit_contribution(db, who(db, room.di), room.session_id, cid, "Edited")


# --- feedback -----------------------------------------------------------------------------


def test_feedback_is_read_by_its_receiver_alone(db: Session, room: Room) -> None:
    started(db, room)
    with pytest.raises(Conflict, match="feedback phase"):
        feedback.give_feedback(db, who(db, room.ben), room.session_id, room.di, "a", "b")
    advance_to(db, room, "feedback")
    change = feedback.give_feedback(db, who(db, room.ben), room.session_id, room.di,
                                         "You listen closely", "Speak up sooner")
    db.commit()
    assert change.change == {"type": "feedback", "giver_id": room.ben, "receiver_id": room.di}
    assert "listen" not in repr(change.change)
    assert change.private == [(room.di, {"type": "feedback_received", "feedback": {
        "giver_id": room.ben, "strength": "You listen closely", "suggestion": "Speak up sooner"}})]
    received = snapshot(db, who(db, room.di), room.session_id)["feedback"]["received"]
    assert [f["strength"] for f in received] == ["You listen closely"]
    for name in ("ada", "ben", "cy"):
        state = snapshot(db, who(db, room.ids[name]), room.session_id)
        assert "listen closely" not in repr(state)
        assert state["feedback"]["pairs"] == [[room.ben, room.di]]
    assert snapshot(db, who(db, room.ben), room.session_id)["feedback"]["given_to"] == [room.di]


@pytest.mark.parametrize(("receiver", "strength", "error", "match"), [
    ("ben", "Kind", InvalidInput, "another member"),
    ("olu", "Kind", NotFound, "member was not found"),
    (None, "Kind", InvalidInput, "member by its id, a positive whole number"),
    ("di", "", InvalidInput, "strength: The strength you noticed cannot be empty"),
    ("di", "x" * 1001, InvalidInput, "strength: Keep the strength you noticed to 1,000"),
])
def test_feedback_goes_to_another_current_member_with_content(
        db: Session, room: Room, receiver: str | None, strength: str,
        error: type[Exception], match: str) -> None:
    started(db, room)
    advance_to(db, room, "feedback")
    target = None if receiver is None else room.ids[receiver]
    with pytest.raises(error, match=match):
        feedback.give_feedback(db, who(db, room.ben), room.session_id, target, strength,
                                    "A suggestion")


# --- commitments across sessions -------------------------------------------------------------


def test_commitments_of_one_session_come_up_for_review_in_the_next(
        app: Flask, db: Session, room: Room) -> None:
    started(db, room)
    advance_to(db, room, "commitments")
    made = feedback.commit(db, who(db, room.di), room.session_id,
                                "Ask my manager for a stretch project",
                                (utcnow() + timedelta(days=14)).date().isoformat())
    db.commit()
    advance_to(db, room, "close")
    live.end(db, who(db, room.ada), room.session_id)
    db.commit()

    second = new_session(app, room.circle_id, {"facilitator": room.ben, "timekeeper": room.ada},
                         days_ahead=14)
    for name in NAMES:
        presence.join(db, who(db, room.ids[name]), second, f"sid2-{name}")
    live.start(db, who(db, room.ben), second)
    db.commit()
    to_review = snapshot(db, who(db, room.cy), second)["commitments"]["to_review"]
    assert [(c["id"], c["user_id"], c["status"]) for c in to_review] == [
        (made.result["commitment_id"], room.di, "open")]
    advance_to(db, Room(room.circle_id, second, {**room.ids, "ada": room.ben}), "review")
    review_stage = current_stage(db, second)
    assert review_stage is not None and review_stage.focus_user_id == room.di
    with pytest.raises(Conflict, match="Only its owner reviews"):
        feedback.review(db, who(db, room.cy), second, made.result["commitment_id"], "kept")
    with pytest.raises(InvalidInput, match="Choose how it went: kept, partly, missed, dropped"):
        feedback.review(db, who(db, room.di), second, made.result["commitment_id"], "open")
    change = feedback.review(db, who(db, room.di), second, made.result["commitment_id"],
                                  "partly", "Asked, but not yet agreed")
    db.commit()
    assert change.change["commitment"]["status"] == "partly"  # type: ignore[index]
    assert change.change["commitment"]["reviewed_in_id"] == second  # type: ignore[index]


@pytest.mark.parametrize(("text", "due_on", "field", "problem"), [
    ("", "2099-01-01", "text", "cannot be empty"),
    ("x" * 501, "2099-01-01", "text", "500 characters"),
    ("Call Sam", "next week", "due_on", "Choose the date you will have done it by"),
    ("Call Sam", None, "due_on", "Choose the date you will have done it by"),
    ("Call Sam", "2001-01-01", "due_on", "not in the past"),
])
def test_commitments_are_validated(db: Session, room: Room, text: str, due_on: object,
                                   field: str, problem: str) -> None:
    started(db, room)
    advance_to(db, room, "commitments")
    if due_on == "2099-01-01":
        due_on = (utcnow() + timedelta(days=30)).date().isoformat()
    with pytest.raises(InvalidInput, match=problem) as caught:
        feedback.commit(db, who(db, room.di), room.session_id, text, due_on)
    assert list(caught.value.errors) == [field]


# --- notes --------------------------------------------------------------------------------


def test_shared_note_autosaves_with_optimistic_versions(db: Session, room: Room) -> None:
    started(db, room)
    saved = notes.save_note(db, who(db, room.cy), room.session_id, False, "Agenda:\n", 0)
    assert saved.result["note"]["version"] == 1 and saved.change is not None
    notes.save_note(db, who(db, room.di), room.session_id, False, "Agenda:\n- x\n", 1)
    with pytest.raises(Conflict, match="changed meanwhile \\(now version 2\\)"):
        notes.save_note(db, who(db, room.cy), room.session_id, False, "Overwrite", 1)
    db.commit()
    shared = snapshot(db, who(db, room.ada), room.session_id)["notes"]["shared"]
    assert (shared["body"], shared["version"]) == ("Agenda:\n- x\n", 2)


def test_a_private_note_is_created_by_its_first_save_and_then_guarded_like_the_shared_one(
        db: Session, room: Room) -> None:
    started(db, room)
    cy = who(db, room.cy)
    with pytest.raises(Conflict, match="changed meanwhile \\(now version 0\\)"):
        notes.save_note(db, cy, room.session_id, True, "Ahead of itself", 3)
    at = utcnow().replace(microsecond=0)
    first = notes.save_note(db, cy, room.session_id, True, "Mine", 0, now=at)
    assert first.change is None  # private: the room's version is not bumped
    assert (first.result["note"]["version"], first.result["note"]["body"]) == (1, "Mine")
    again = notes.save_note(db, cy, room.session_id, True, "Mine, again", 1,
                            now=at + timedelta(minutes=1))
    assert again.result["note"]["version"] == 2
    assert again.result["note"]["updated_at"] == iso(at + timedelta(minutes=1))
    with pytest.raises(Conflict, match="changed meanwhile \\(now version 2\\)"):
        notes.save_note(db, cy, room.session_id, True, "From an old tab", 1)
    db.commit()
    mine = snapshot(db, cy, room.session_id)["notes"]["private"]
    assert (mine["body"], mine["version"]) == ("Mine, again", 2)
    assert snapshot(db, who(db, room.ada), room.session_id)["notes"]["private"] is None


def test_a_shared_note_saved_before_the_start_survives_the_start(db: Session, room: Room) -> None:
    notes.save_note(db, who(db, room.cy), room.session_id, False, "Ideas for today", 0)
    db.commit()
    started(db, room)
    shared = snapshot(db, who(db, room.ada), room.session_id)["notes"]["shared"]
    assert (shared["body"], shared["version"]) == ("Ideas for today", 1)


def test_private_note_is_its_authors_alone_and_bumps_no_version(db: Session,
                                                                room: Room) -> None:
    started(db, room)
    before = version(db, room.session_id)
    saved = notes.save_note(db, who(db, room.di), room.session_id, True, "I felt unheard", 0)
    db.commit()
    assert saved.change is None and saved.private[0][0] == room.di
    assert version(db, room.session_id) == before
    assert snapshot(db, who(db, room.di), room.session_id)["notes"]["private"]["body"] == (
        "I felt unheard")
    for name in ("ada", "ben", "cy"):
        state = snapshot(db, who(db, room.ids[name]), room.session_id)
        assert state["notes"]["private"] is None and "unheard" not in repr(state)


# --- presence, hands, takeover ---------------------------------------------------------------


def test_two_tabs_are_one_person_who_shows_away_only_after_the_grace(db: Session,
                                                                     room: Room) -> None:
    di, t0 = who(db, room.di), utcnow()
    presence.join(db, di, room.session_id, "tab-1", now=t0)
    presence.join(db, di, room.session_id, "tab-2", now=t0)
    db.commit()

    def di_seen(at: Any) -> dict[str, Any]:
        state = snapshot(db, who(db, room.ada), room.session_id, away_grace=30, now=at)
        return next(m for m in state["members"] if m["id"] == room.di)

    assert (di_seen(t0)["presence"], di_seen(t0)["connections"]) == ("here", 2)
    [change] = presence.disconnect(db, "tab-1", away_grace=30, now=t0)
    assert change.change["member"]["presence"] == "here"  # type: ignore[index]
    [change] = presence.disconnect(db, "tab-2", away_grace=30, now=t0)
    db.commit()
    assert change.change["member"]["presence"] == "reconnecting"  # type: ignore[index]
    assert di_seen(t0 + timedelta(seconds=29))["presence"] == "reconnecting"
    assert di_seen(t0 + timedelta(seconds=31))["presence"] == "away"
    assert presence.disconnect(db, "tab-2") == []  # an unknown sid changes nothing


def test_raise_hand_queue_in_order_and_the_facilitator_lowers_hands(db: Session,
                                                                    room: Room) -> None:
    started(db, room)
    t0 = utcnow()
    presence.hand(db, who(db, room.di), room.session_id, True, now=t0)
    change = presence.hand(db, who(db, room.ben), room.session_id, True,
                                now=t0 + timedelta(seconds=1))
    assert change.change == {"type": "hands", "hands": [room.di, room.ben]}
    # Raising a hand already up keeps its place in the queue.
    change = presence.hand(db, who(db, room.di), room.session_id, True,
                           now=t0 + timedelta(seconds=2))
    assert change.change == {"type": "hands", "hands": [room.di, room.ben]}
    with pytest.raises(Conflict, match="Only the facilitator can lower"):
        presence.hand(db, who(db, room.cy), room.session_id, False, room.di)
    change = presence.hand(db, who(db, room.ada), room.session_id, False, room.di)
    assert change.change == {"type": "hands", "hands": [room.ben]}


def test_takeover_waits_for_the_grace_and_a_paused_timer_then_can_be_taken_back(
        db: Session, room: Room) -> None:
    started(db, room)
    ada, ben = who(db, room.ada), who(db, room.ben)
    with pytest.raises(Conflict, match="The facilitator is here"):
        presence.take_over(db, ben, room.session_id, grace=30)
    t0 = utcnow()
    presence.disconnect(db, "sid-ada", now=t0)
    db.commit()
    with pytest.raises(Conflict, match="may be reconnecting; you can take over in 30 s"):
        presence.take_over(db, ben, room.session_id, grace=30, now=t0)
    live.timer(db, ben, room.session_id, "start", 300, now=t0)
    later = t0 + timedelta(seconds=31)
    with pytest.raises(Conflict, match="The timer is running: pause it first"):
        presence.take_over(db, ben, room.session_id, grace=30, now=later)
    with pytest.raises(Conflict, match="Only the timekeeper can take over"):
        presence.take_over(db, who(db, room.cy), room.session_id, grace=30, now=later)
    live.timer(db, ben, room.session_id, "pause", now=later)
    change = presence.take_over(db, ben, room.session_id, grace=30, now=later)
    db.commit()
    roles = change.change["roles"]  # type: ignore[index]
    assert (roles["facilitator"], roles["timekeeper"]) == (room.ben, room.ben)
    assert roles["handover"]["from"] == room.ada and roles["handover"]["to"] == room.ben
    live.advance(db, ben, room.session_id)  # the stand-in now runs the session
    with pytest.raises(Conflict, match="Only the facilitator can advance"):
        live.advance(db, ada, room.session_id)
    with pytest.raises(Conflict, match="no facilitation of yours to take back"):
        presence.take_back(db, who(db, room.cy), room.session_id)
    presence.join(db, ada, room.session_id, "sid-ada-again")
    back = presence.take_back(db, ada, room.session_id)
    db.commit()
    assert back.change["roles"]["facilitator"] == room.ada  # type: ignore[index]
    assert back.change["roles"]["handover"] is None  # type: ignore[index]


# --- the end ------------------------------------------------------------------------------


def test_end_closes_attendance_writes_interactions_and_keeps_feedback_private(
        db: Session, room: Room) -> None:
    join_all(db, room, ("ada", "ben", "cy"))
    live.start(db, who(db, room.ada), room.session_id)
    advance_to(db, room, "feedback")
    feedback.give_feedback(db, who(db, room.ben), room.session_id, room.cy, "Calm", "Ask")
    feedback.give_feedback(db, who(db, room.cy), room.session_id, room.ben, "Warm", "Pace")
    db.commit()
    change = live.end(db, who(db, room.ada), room.session_id)
    db.commit()
    assert change.change is not None and change.change["type"] == "ended"
    assert "Calm" not in repr(change.change)
    private = dict(change.private)
    assert [f["strength"] for f in private[room.cy]["feedback"]] == ["Calm"]
    assert [f["strength"] for f in private[room.ben]["feedback"]] == ["Warm"]
    assert private[room.ada]["feedback"] == private[room.di]["feedback"] == []
    pairs = sorted((i.low_id, i.high_id, i.kind) for i in db.scalars(
        select(Interaction).where(Interaction.session_id == room.session_id)))
    a, b, c = sorted((room.ada, room.ben, room.cy))
    bc = tuple(sorted((room.ben, room.cy)))
    assert pairs == sorted([(a, b, "session"), (a, c, "session"), (b, c, "session"),
                            (*bc, "feedback"), (*bc, "feedback")])
    assert all(a.left_at is not None for a in db.scalars(select(Attendance)))
    assert db.scalars(select(Presence)).all() == []
    ended = snapshot(db, who(db, room.cy), room.session_id)
    assert ended["session"]["status"] == "ended"
    assert [f["strength"] for f in ended["summary"]["feedback"]] == ["Calm"]
    with pytest.raises(Conflict, match="not live"):
        live.advance(db, who(db, room.ada), room.session_id)


# --- membership and versions ------------------------------------------------------------------

OPERATIONS: dict[str, Callable[[Session, User, int], object]] = {
    "snapshot": lambda db, u, s: snapshot(db, u, s),
    "join": lambda db, u, s: presence.join(db, u, s, "sid-x"),
    "start": lambda db, u, s: live.start(db, u, s),
    "advance": lambda db, u, s: live.advance(db, u, s),
    "timer": lambda db, u, s: live.timer(db, u, s, "start", 60),
    "agenda": lambda db, u, s: live_agenda.add_item(db, u, s, "Mine"),
    "contribute": lambda db, u, s: live_agenda.contribute(db, u, s, "checkin", "Hi"),
    "feedback": lambda db, u, s: feedback.give_feedback(db, u, s, 1, "a", "b"),
    "commit": lambda db, u, s: feedback.commit(db, u, s, "x", "2099-01-01"),
    "note": lambda db, u, s: notes.save_note(db, u, s, False, "x", 0),
    "hand": lambda db, u, s: presence.hand(db, u, s, True),
    "take_over": lambda db, u, s: presence.take_over(db, u, s),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_non_member_is_told_the_session_does_not_exist(db: Session, room: Room,
                                                         operation: str) -> None:
    started(db, room)
    with pytest.raises(NotFound, match="That session was not found"):
        OPERATIONS[operation](db, who(db, room.olu), room.session_id)
    with pytest.raises(NotFound, match="That session was not found"):
        OPERATIONS[operation](db, who(db, room.ada), room.session_id + 999)
    db.rollback()
    assert db.scalars(select(Attendance).where(Attendance.user_id == room.olu)).all() == []


def test_every_change_bumps_the_version_once(db: Session, room: Room) -> None:
    join_all(db, room)
    seen = [version(db, room.session_id)]
    for step in (
        lambda: live_agenda.add_item(db, who(db, room.di), room.session_id, "One"),
        lambda: live.start(db, who(db, room.ada), room.session_id),
        lambda: presence.ready(db, who(db, room.cy), room.session_id, True),
        lambda: live.timer(db, who(db, room.ben), room.session_id, "start", 60),
        lambda: live_agenda.contribute(db, who(db, room.ada), room.session_id, "checkin", "Hi"),
        lambda: live.advance(db, who(db, room.ada), room.session_id),
    ):
        change = step()
        db.commit()
        seen.append(version(db, room.session_id))
        assert change.version == seen[-1]  # type: ignore[attr-defined]
    assert seen == list(range(seen[0], seen[0] + 7))
    assert db.scalar(select(Commitment.id)) is None
