"""Carry-over: agenda items a session did not reach move to the circle's next session, marked
as carried over, and that session's review phase lists them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.live import phases as live
from circles.live.room import current_phase
from circles.live.snapshot import snapshot
from circles.models import AgendaItem
from circles.sessions.carry_over import carried
from tests.support.live_room import Room, build_room, new_session
from tests.support.rounds import offered_in_bens_round, start, to_phase, who


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def roles(room: Room) -> dict[str, int | None]:
    return {"facilitator": room.ada, "timekeeper": room.ben, "note_taker": room.cy}


def end(db: Session, room: Room, session_id: int) -> None:
    live.end(db, who(db, room.ada), session_id)
    db.commit()


def test_items_not_reached_move_to_the_next_session_marked_carried_over(
        app: Flask, db: Session, room: Room) -> None:
    later = new_session(app, room.circle_id, roles(room), days_ahead=14)
    following = new_session(app, room.circle_id, roles(room), days_ahead=7)
    items = offered_in_bens_round(db, room)
    end(db, room, room.session_id)  # Ben's round was held, Di's was not
    [moved] = carried(db, following)
    assert (moved.title, moved.author_id, moved.carried_from_id, moved.covered) == (
        "Hiring my first report", room.di, items["di"], False)
    assert moved.timebox_minutes == 10
    assert carried(db, later) == []  # the next session, not any later one
    view = snapshot(db, who(db, room.cy), following)["agenda"]
    assert [(i["title"], i["carried_over"]) for i in view] == [("Hiring my first report", True)]


def test_the_next_sessions_review_phase_lists_them(app: Flask, db: Session,
                                                   room: Room) -> None:
    following = new_session(app, room.circle_id, roles(room), days_ahead=7)
    offered_in_bens_round(db, room)
    end(db, room, room.session_id)
    start(db, room, following)
    to_phase(db, room, following, "review")  # nobody owes a commitment: listed all the same
    phase = current_phase(db, following)
    assert phase is not None and phase.kind == "review" and phase.stages
    state = snapshot(db, who(db, room.ben), following)
    assert [i["title"] for i in state["agenda"] if i["carried_over"]] == [
        "Hiring my first report"]


def test_without_a_next_session_they_wait_for_the_one_that_starts_next(
        app: Flask, db: Session, room: Room) -> None:
    offered_in_bens_round(db, room)
    end(db, room, room.session_id)
    assert len(db.scalars(select(AgendaItem)).all()) == 2  # nowhere to go yet
    db.rollback()  # let go of SQLite's writer lock before the session is planned
    planned = new_session(app, room.circle_id, roles(room), days_ahead=7)
    start(db, room, planned)
    assert [i.title for i in carried(db, planned)] == ["Hiring my first report"]


def test_an_item_is_carried_once_and_on_from_its_copy(app: Flask, db: Session,
                                                      room: Room) -> None:
    second = new_session(app, room.circle_id, roles(room), days_ahead=7)
    offered_in_bens_round(db, room)
    end(db, room, room.session_id)
    start(db, room, second)  # starting does not carry the same item again
    assert len(carried(db, second)) == 1
    db.rollback()
    third = new_session(app, room.circle_id, roles(room), days_ahead=14)
    end(db, room, second)  # not reached again: on to the third, from its copy
    [again] = carried(db, third)
    assert again.carried_from_id == carried(db, second)[0].id
