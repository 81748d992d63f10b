"""The harvest: what the person helped in a round was offered there reaches them alone — in
their growth journal and by e-mail — after the session ends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.extensions import orm
from circles.growth import harvest
from circles.growth.journal import journal
from circles.live import phases as live
from circles.live.room import phases
from circles.models import CircleSession, HarvestItem, Notification, OutboxMessage
from tests.conftest import AuthActions
from tests.live.test_live_handlers import call, received, socket_for
from tests.support.live_room import Room, build_room
from tests.support.rounds import offered_in_bens_round, who


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def ended(db: Session, room: Room) -> CircleSession:
    offered_in_bens_round(db, room)
    live.end(db, who(db, room.ada), room.session_id)
    session = db.get_one(CircleSession, room.session_id)
    harvest.deliver(db, session)
    db.commit()
    return session


def test_the_person_helped_gets_what_others_offered_in_their_round(db: Session,
                                                                   room: Room) -> None:
    ended(db, room)
    items = db.scalars(select(HarvestItem).order_by(HarvestItem.id)).all()
    assert [(i.user_id, i.author_id, i.kind, i.text, i.helped) for i in items] == [
        (room.ben, room.ada, "question", "What would a good no sound like?", False),
        (room.ben, room.cy, "idea", "Try a script first", True)]  # not his own question
    assert {i.round_title for i in items} == {"Saying no to my manager"}
    book = journal(db, who(db, room.ben))
    assert [i.text for r in book.harvest for i in r.items] == [i.text for i in items]
    for name in ("ada", "cy", "di"):  # Di's round was not held; the others were not helped
        assert journal(db, who(db, room.ids[name])).harvest == []


def test_the_harvest_is_e_mailed_to_them_and_the_app_line_holds_no_words(db: Session,
                                                                         room: Room) -> None:
    ended(db, room)
    ben = who(db, room.ben)
    [mail] = db.scalars(select(OutboxMessage).where(OutboxMessage.to == ben.email,
                                                    OutboxMessage.body.contains("harvest"))).all()
    assert "Idea from Cy (it helped): Try a script first" in mail.body
    assert "Question from Ada: What would a good no sound like?" in mail.body
    assert "Your round: Saying no to my manager" in mail.body
    [line] = db.scalars(select(Notification.text).where(Notification.kind == "harvest")).all()
    assert line == "Your harvest from Night owls: 1 question, 1 idea offered in your round."
    others = db.scalars(select(OutboxMessage.body).where(OutboxMessage.to != ben.email)).all()
    assert not any("Try a script first" in body for body in others)


def test_delivering_again_adds_nothing_twice(db: Session, room: Room) -> None:
    session = ended(db, room)
    assert harvest.deliver(db, session) == {}
    db.commit()
    assert len(db.scalars(select(HarvestItem)).all()) == 2
    assert len(db.scalars(select(Notification).where(Notification.kind == "harvest")).all()) == 1


def test_only_they_see_it_on_the_journal_page(app: Flask, room: Room) -> None:
    with app.app_context():
        ended(orm.session, room)
        emails = {name: who(orm.session, room.ids[name]).email for name in ("ben", "cy")}
    pages = {}
    for name, email in emails.items():
        client = app.test_client()
        assert AuthActions(client).login(email).status_code == 302
        pages[name] = client.get("/journal").get_data(as_text=True)
    assert "Try a script first" in pages["ben"] and "helped" in pages["ben"]
    assert "Try a script first" not in pages["cy"]
    assert "No harvest yet" in pages["cy"]


def test_who_was_helped_is_the_focus_rounds_owner(db: Session, room: Room) -> None:
    offered_in_bens_round(db, room)
    seen = {(p.kind, harvest.helped_in(p, s)) for p in phases(db, room.session_id)
            for s in p.stages}
    assert ("focus", room.ben) in seen and ("focus", room.di) in seen
    assert {who for kind, who in seen if kind != "focus"} == {None}


def test_ending_through_the_live_room_delivers_it(app: Flask, room: Room) -> None:
    with app.app_context():
        offered_in_bens_round(orm.session, room)
    ada, cy = socket_for(app, room.ada), socket_for(app, room.cy)
    for socket in (ada, cy):
        assert call(socket, "live:join", {"session_id": room.session_id})["ok"] is True
        socket.get_received()
    assert call(ada, "live:end", {"session_id": room.session_id})["ok"] is True
    told = json.dumps(received(cy))
    assert "harvest" not in told  # the room is told the session ended, not anyone's harvest
    with app.app_context():
        assert sorted(orm.session.scalars(select(HarvestItem.user_id))) == [room.ben, room.ben]
