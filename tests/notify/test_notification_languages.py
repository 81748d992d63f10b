"""A notice is written in its recipient's language, whoever's action sends it: the in-app line
and the e-mail of a Spanish-speaking member are in Spanish when an English-speaking member's
request triggers them, and an English-speaking member's stay in English when a Spanish page
does; a calendar feed is written in its owner's language (docs/languages.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.models import CircleSession, Notification, OutboxMessage, User, utcnow
from circles.network import introductions
from circles.network.ties import add_tie
from circles.sessions import calendar


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the language of a notice does not depend on the database


def latest(db: Session, user: User) -> tuple[str, OutboxMessage]:
    note = db.scalars(select(Notification).where(Notification.user_id == user.id)
                      .order_by(Notification.id.desc())).first()
    mail = db.scalars(select(OutboxMessage).where(OutboxMessage.to == user.email)
                      .order_by(OutboxMessage.id.desc())).first()
    assert note is not None and mail is not None
    return note.text, mail


def test_each_member_is_told_in_their_own_language(
        app: Flask, db: Session, make_user: Any, make_community: Any) -> None:
    ann, ben, cat = (make_user(display_name=n) for n in ("Ann", "Ben", "Cat"))
    community = make_community(ann, members=[ben, cat])
    db.get_one(User, ben.id).language = "es"
    add_tie(db, ann.id, ben.id, source="declared", community_id=community.id)
    add_tie(db, ben.id, cat.id, source="declared", community_id=community.id)
    db.commit()

    # Ann, on an English page, asks Ben (who reads Spanish) to introduce her to Cat.
    with app.test_request_context(headers={"Accept-Language": "en"}):
        intro = introductions.request_introduction(db, db.get_one(User, ann.id), cat.id,
                                                   ben.id, "Negotiation")
        db.commit()
    text, mail = latest(db, db.get_one(User, ben.id))
    assert text == "Ann te pide que le presentes a Cat."
    assert mail.subject == "Circles: solicitudes de presentación"
    assert mail.body.startswith("Hola, Ben:\n\nAnn te pide que le presentes a Cat.\n")

    # Ben, on a Spanish page, agrees: Ann and Cat, who chose no language, read English.
    with app.test_request_context(headers={"Accept-Language": "es"}):
        introductions.broker_agree(db, db.get_one(User, ben.id), intro.id, "Hablad")
        db.commit()
    text, mail = latest(db, db.get_one(User, ann.id))
    assert text == "Ben introduced you to Cat."
    assert mail.subject == "Circles: introduction requests"
    assert mail.body.startswith("Hello Ann,\n\nBen introduced you to Cat.\n")


@pytest.mark.parametrize(("language", "words"), [
    ("es", ["Dónde: Sala 4", "Página del círculo: "]),
    ("", ["Where: Sala 4", "Circle page: "]),
])
def test_a_calendar_feed_is_written_in_its_owner_s_language(
        app: Flask, db: Session, make_user: Any, make_community: Any, make_circle: Any,
        language: str, words: list[str]) -> None:
    ann, ben = make_user(display_name="Ann"), make_user(display_name="Ben")
    circle = make_circle(make_community(ann, members=[ben]), [ann, ben], name="Ann & Ben")
    owner = db.get_one(User, ben.id)
    owner.language = language
    db.add(CircleSession(circle_id=circle.id, starts_at=utcnow() + timedelta(days=2),
                         location="Sala 4"))
    calendar.reset_feed(db, owner)
    db.commit()
    token = calendar.feed_token(app.config["SECRET_KEY"], owner)
    # The calendar app asks in English (or in nothing at all): the owner's language wins.
    feed = app.test_client().get(f"/calendar/{token}.ics",
                                 headers={"Accept-Language": "en"}).get_data(as_text=True)
    unfolded = feed.replace("\r\n ", "")
    assert all(word in unfolded for word in words), unfolded
