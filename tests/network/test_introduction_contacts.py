"""An accepted introduction gives both people a way to reach each other (issue 17: it said
"you are now connected" and nothing more). Each chooses what to share — their account
e-mail, another contact line, or nothing — when asking and when accepting; once both said yes
each reads what the other shared on the introduction's page and in the notification; nobody
else does (the broker neither), and anyone outside the introduction gets 404.

The world is tests/network/test_introductions.py's: Ann asks Ben to introduce her to Cat.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from circles.extensions import orm
from circles.models import Introduction, Notification, OutboxMessage, User
from circles.network import introductions
from tests.conftest import AuthActions, post_form
from tests.network import test_introductions as story
from tests.network.test_introductions import World, as_

world, sent = story.world, story.sent  # the same people and fixtures as the story's tests

PHONE = "+44 20 7946 0000 (evenings)"


def brokered(app: Flask, w: World, shares: str = "email", contact: str = "") -> int:
    """Ann asks (sharing ``shares``), Ben agrees; Cat has yet to answer."""
    with app.app_context():
        db = orm.session
        ann, ben = db.get_one(User, w["ann"]), db.get_one(User, w["ben"])
        intro = introductions.request_introduction(db, ann, w["cat"], w["ben"], "We both sell.",
                                                   shares, contact)
        introductions.broker_agree(db, ben, intro.id, "Meet each other.")
        db.commit()
        return intro.id


def test_both_read_how_to_reach_the_other_on_the_page_and_in_the_notification(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    intro_id = brokered(app, world, "email")
    as_(auth, world, "cat")
    panel = client.get("/introductions").get_data(as_text=True)
    assert 'name="shares" value="other"' in panel and world.emails["cat"] in panel
    response = post_form(client, f"/introductions/{intro_id}/accept",
                         {"shares": "other", "contact": PHONE}, page="/introductions")
    assert response.headers["Location"] == f"/introductions/{intro_id}"
    page = client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    assert f"You can reach Ann ANNson at {world.emails['ann']}" in client.get(
        "/notifications").get_data(as_text=True)
    assert "How to reach Ann ANNson" in page and world.emails["ann"] in page

    as_(auth, world, "ann")
    page = client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    assert "How to reach Cat CATson" in page and PHONE in page
    with app.app_context():
        texts = orm.session.scalars(select(Notification.text).where(
            Notification.user_id == world["ann"], Notification.kind == "introduction")).all()
        assert any(f"You can reach Cat CATson at {PHONE}." in t for t in texts)
        mails = orm.session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.to == world.emails["ann"])).all()
        assert any(PHONE in body for body in mails)  # the notice's e-mail says it too


def test_the_broker_and_everyone_else_never_read_it(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    intro_id = brokered(app, world, "other", PHONE)
    with app.app_context():
        introductions.target_accept(orm.session, orm.session.get_one(User, world["cat"]),
                                    intro_id, "email")
        orm.session.commit()
    as_(auth, world, "ben")  # the broker sees the story, not the contacts
    page = client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    assert "Ann ANNson and Cat CATson are now connected." in page
    assert PHONE not in page and world.emails["cat"] not in page
    assert post_form(client, f"/introductions/{intro_id}/contact", {"shares": "none"},
                     page="/introductions").status_code == 404
    with app.app_context():
        texts = orm.session.scalars(select(Notification.text).where(
            Notification.user_id == world["ben"])).all()
        assert not any(PHONE in t or world.emails["cat"] in t for t in texts)
    for outsider in ("dan", "eve"):
        as_(auth, world, outsider)
        assert client.get(f"/introductions/{intro_id}").status_code == 404
        assert post_form(client, f"/introductions/{intro_id}/contact", {"shares": "none"},
                         page="/introductions").status_code == 404


def test_nothing_is_shown_before_both_said_yes_and_nothing_shared_is_said_plainly(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    intro_id = brokered(app, world, "other", PHONE)
    as_(auth, world, "cat")  # asked, not yet answered: Ann's line stays hidden
    assert PHONE not in client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    post_form(client, f"/introductions/{intro_id}/accept", {"shares": "none"},
              page="/introductions")
    as_(auth, world, "ann")
    page = client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    assert "Cat CATson has not shared a way to reach them yet." in page


def test_either_may_change_or_withdraw_what_they_share(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    intro_id = brokered(app, world, "email")
    with app.app_context():
        introductions.target_accept(orm.session, orm.session.get_one(User, world["cat"]),
                                    intro_id, "none")
        orm.session.commit()
    as_(auth, world, "cat")
    assert post_form(client, f"/introductions/{intro_id}/contact",
                     {"shares": "other", "contact": PHONE}).status_code == 302
    as_(auth, world, "ann")
    assert PHONE in client.get(f"/introductions/{intro_id}").get_data(as_text=True)
    assert post_form(client, f"/introductions/{intro_id}/contact",
                     {"shares": "none"}).status_code == 302
    as_(auth, world, "cat")
    assert world.emails["ann"] not in client.get(f"/introductions/{intro_id}").get_data(
        as_text=True)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"shares": "other", "contact": ""}, "contact", "Write how they can reach you"),
    ({"shares": "other", "contact": "x" * 201}, "contact", "under 200 characters"),
    ({"shares": "fax"}, "shares", "Choose what to share"),
])
def test_a_bad_contact_is_refused_next_to_its_field(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World,
        data: dict[str, Any], field: str, message: str) -> None:
    as_(auth, world, "ann")
    response = post_form(client, "/introductions/request",
                         {"target_id": world["cat"], "broker_id": world["ben"], "reason": "",
                          **data})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert f'id="{field}-error"' in page and 'id="reason-error"' in page  # both at once
    with app.app_context():
        assert orm.session.scalar(select(Introduction.id).where(
            Introduction.target_id == world["cat"])) is None
