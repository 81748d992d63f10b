"""Blocking: the two are never grouped or introduced again, and neither sees the other's
profile — answered exactly like a member who does not exist (404), both ways."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.circle import KEPT_APART, add_to_circle, create_circle
from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import orm
from circles.members import blocks, profiles
from circles.models import Community, User
from circles.network import introductions
from circles.network.ties import add_tie
from tests.conftest import AuthActions, post_form


@pytest.fixture
def people(app: Flask, make_user: Any, make_community: Any) -> dict[str, int]:
    """Ann, Ben and Cat in one community; Ben knows both, Cat is strong where Ann asks."""
    users = {n: make_user(display_name=f"{n.title()} Example") for n in ("ann", "ben", "cat")}
    lead = make_user(display_name="Lea Lead")
    make_community(lead, members=list(users.values()))
    with app.app_context():
        db = orm.session
        profiles.add_question(db, db.get_one(User, users["ann"].id), text="How to negotiate?",
                              topic="negotiation")
        profiles.add_strength(db, db.get_one(User, users["cat"].id), topic="Negotiation")
        add_tie(db, users["ann"].id, users["ben"].id, source="declared")
        add_tie(db, users["ben"].id, users["cat"].id, source="declared")
        db.commit()
    return {n: u.id for n, u in users.items()} | {"lead": lead.id}


def login(app: Flask, user_id: int) -> Any:
    with app.app_context():
        email = orm.session.get_one(User, user_id).email
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def test_neither_sees_the_others_profile_until_the_block_is_lifted(
        app: Flask, people: dict[str, int]) -> None:
    ann, cat = login(app, people["ann"]), login(app, people["cat"])
    assert ann.get(f"/members/{people['cat']}").status_code == 200
    done = post_form(ann, f"/members/{people['cat']}/block", page=f"/members/{people['cat']}")
    assert done.status_code == 302
    assert ann.get(f"/members/{people['cat']}").status_code == 404
    assert cat.get(f"/members/{people['ann']}").status_code == 404
    assert ann.get(f"/members/{people['ben']}").status_code == 200  # nobody else
    mine = ann.get("/account/blocks").get_data(as_text=True)
    assert "Cat Example" in mine
    assert "Ann Example" not in cat.get("/account/blocks").get_data(as_text=True)
    # Only the blocker lifts it; for Cat there is nothing to lift.
    refused = post_form(cat, f"/account/blocks/{people['ann']}/lift", page="/account/blocks")
    assert refused.status_code == 404
    lifted = post_form(ann, f"/account/blocks/{people['cat']}/lift", page="/account/blocks")
    assert lifted.status_code == 302
    assert cat.get(f"/members/{people['ann']}").status_code == 200


def test_nobody_blocks_themself(db: Session, people: dict[str, int]) -> None:
    ann = db.get_one(User, people["ann"])
    with pytest.raises(Conflict, match="cannot block yourself"):
        blocks.block(db, ann, ann)


def test_blocked_people_are_never_suggested_or_introduced(db: Session,
                                                          people: dict[str, int]) -> None:
    ann, cat = db.get_one(User, people["ann"]), db.get_one(User, people["cat"])
    assert [s.target_id for s in introductions.suggestions(db, ann.id)] == [cat.id]
    blocks.block(db, cat, ann)  # either side's block counts
    assert introductions.suggestions(db, ann.id) == []
    with pytest.raises(InvalidInput, match="Choose someone from one of your communities"):
        introductions.request_introduction(db, ann, cat.id, people["ben"], "We both sell.")
    with pytest.raises(NotFound):
        profiles.visible_member(db, ann, cat.id)


def test_a_facilitator_cannot_seat_them_together_by_hand(db: Session,
                                                         people: dict[str, int]) -> None:
    ann, cat = db.get_one(User, people["ann"]), db.get_one(User, people["cat"])
    lead = db.get_one(User, people["lead"])
    community = db.scalars(select(Community)).first()
    assert community is not None
    blocks.block(db, ann, cat)
    with pytest.raises(InvalidInput, match="asked to be kept apart"):
        create_circle(db, community, lead, name="", member_ids=[ann.id, cat.id])
    pair = create_circle(db, community, lead, name="", member_ids=[ann.id, people["ben"]])
    with pytest.raises(InvalidInput) as refused:
        add_to_circle(db, pair, cat.id)
    assert refused.value.errors == {"member": KEPT_APART}
