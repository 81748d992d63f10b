"""Erasure: a member deletes their account and nothing of theirs is left in any table.

Zed's marker is seeded in every table that can hold member data (tests/support/privacy_world.py);
after he deletes his account every string and JSON column of every table (read from the
SQLAlchemy metadata, not a list kept here) is scanned for his marker, name and e-mail.
Only the documented tombstones remain, and they carry nothing of his by construction.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import JSON, String, select, update

from circles.errors import Conflict
from circles.extensions import orm
from circles.members import erasure
from circles.models import (
    AgendaItem,
    Base,
    Block,
    Circle,
    CircleGoal,
    CircleSession,
    Community,
    ConcernReport,
    Contribution,
    Feedback,
    GoalCheckin,
    HarvestItem,
    LiveEvent,
    Membership,
    Note,
    Notification,
    Pulse,
    Tie,
    User,
)
from realtime import revocation
from tests.conftest import PASSWORD, AuthActions, post_form
from tests.support.privacy_world import MARK, OTHERS, PrivacyWorld, build_privacy_world, sandbox_of


def user_fk_tables() -> set[str]:
    return {table.name for table in Base.metadata.sorted_tables
            if any(fk.column.table.name == "user" for fk in table.foreign_keys)} | {"user"}


def leftovers(app: Flask, *needles: str) -> list[tuple[str, str, str]]:
    """Every (table, column, value) whose text holds one of ``needles`` (case-insensitive)."""
    wanted = [n.lower() for n in needles]
    found = []
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if not columns:
                continue
            for row in orm.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    text = value if isinstance(value, str) else json.dumps(value)
                    if any(n in text.lower() for n in wanted):
                        found.append((table.name, column.name, text))
    return found


@pytest.fixture
def world(app: Flask, make_user: Any) -> PrivacyWorld:
    return build_privacy_world(app, make_user)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(revocation.Revoker, "publish",
                        lambda _self, instruction: sent.append(instruction))
    return sent


def logged_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def test_every_table_holding_a_member_has_an_erasure_policy() -> None:
    assert user_fk_tables() - set(erasure.POLICY) == set()
    assert set(erasure.POLICY) - user_fk_tables() == set(), "a policy for a table that is gone"


def test_the_world_really_holds_the_marker_everywhere_before(app: Flask,
                                                             world: PrivacyWorld) -> None:
    """The scan can fail: before erasure the marker is in every table that names Zed."""
    tables = {table for table, _column, _value in leftovers(app, MARK)}
    with app.app_context():
        populated = {t.name for t in Base.metadata.sorted_tables
                     if orm.session.execute(select(t).limit(1)).first() is not None}
    marked = user_fk_tables() - {"session_role", "session_stage", "attendance", "interaction",
                                 "tie", "regroup_consent", "membership", "circle_member",
                                 "role_handover", "session_series", "notification_preference",
                                 "formation_run", "availability", "block",
                                 "renewal_choice"}
    assert marked <= tables, marked - tables
    assert user_fk_tables() <= populated, user_fk_tables() - populated


def test_deleting_the_account_leaves_only_tombstones(
        app: Flask, world: PrivacyWorld, published: list[dict[str, Any]]) -> None:
    browser, phone = logged_in(app, world.zed_email), logged_in(app, world.zed_email)
    page = browser.get("/account/delete").get_data(as_text=True)
    assert "a former member" in page and erasure.TOMBSTONE in page
    wrong = post_form(browser, "/account/delete", {"password": "not my password"})
    assert wrong.status_code == 422 and "not your password" in wrong.get_data(as_text=True)
    assert len(leftovers(app, MARK)) > 20 and published == []

    done = post_form(browser, "/account/delete", {"password": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"

    assert leftovers(app, MARK, world.zed_email, world.zed_name) == []
    assert {"do": "end", "room": f"member:{world.zed}"} in published
    for client in (browser, phone):  # this browser and every other login of his
        answer = client.get("/account")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    with app.app_context():
        assert orm.session.get(User, world.zed) is None
        assert orm.session.scalars(select(LiveEvent)).all() == []
    assert sandbox_of(app, world) is None  # he was its only member


def test_tombstones_and_the_others_data_stay(app: Flask, world: PrivacyWorld) -> None:
    with app.app_context():
        db = orm.session
        before = db.get_one(CircleSession, world.session_id).version
        erasure.erase_account(orm.session(), db.get_one(User, world.zed))
        db.commit()
        # A version is skipped: clients see a gap the (dropped) log cannot fill, and reload.
        assert db.get_one(CircleSession, world.session_id).version == before + 1
        texts = {c.text: c.author_id for c in db.scalars(select(Contribution))}
        assert texts == {erasure.TOMBSTONE: None, "Ann's idea": world.ann}
        assert db.scalars(select(AgendaItem.title)).all() == [erasure.TOMBSTONE]
        assert db.scalars(select(CircleGoal.text)).all() == [erasure.TOMBSTONE]
        assert db.scalars(select(GoalCheckin.line)).all() == ["Ann's progress"]
        # His harvest goes; what he offered in Ann's round stays hers, as a tombstone.
        assert [(h.user_id, h.text, h.author_id) for h in db.scalars(select(HarvestItem))] == [
            (world.ann, erasure.TOMBSTONE, None)]
        # His report goes; Ann's about him stays for the safety contacts, without him.
        assert [(r.reporter_id, r.subject_id, r.text) for r in db.scalars(
            select(ConcernReport))] == [(world.ann, None, "Ann worries about a former member")]
        assert db.scalars(select(Block)).all() == []
        shared = db.scalars(select(Note.body).where(Note.slot == 0)).one()
        assert shared == "Shared: a former member (a former member) will send slides."
        assert db.scalars(select(Note.body).where(Note.private.is_(True))).all() == [
            f"Ann's private {OTHERS}"]
        [feedback] = db.scalars(select(Feedback)).all()
        assert (feedback.giver_id, feedback.receiver_id) == (world.ann, world.bob)
        assert feedback.strength == f"Ann to Bob {OTHERS}"
        assert db.scalars(select(Pulse.comment)).all() == [f"Ann's pulse {OTHERS}"]
        assert [(t.low_id, t.high_id) for t in db.scalars(select(Tie))] == [
            tuple(sorted((world.ann, world.bob)))]
        circle = db.get_one(Circle, world.circle_id)
        assert circle.name == "a former member & Ann & Bob"
        assert f"You are in a new circle: {circle.name}." in db.scalars(
            select(Notification.text).where(Notification.user_id == world.bob)).all()
        assert f"Ann's own notice {OTHERS}" in db.scalars(select(Notification.text)).all()
        community = db.get_one(Community, world.community_id)
        assert community.description == "Ask a former member or a former member for help."
        assert db.scalars(select(Membership.user_id).where(
            Membership.community_id == world.community_id)).all() != []


def test_the_only_facilitator_hands_over_first(app: Flask, world: PrivacyWorld) -> None:
    with app.app_context():
        db = orm.session
        db.execute(update(Membership)
                   .where(Membership.community_id == world.community_id,
                          Membership.user_id == world.fay).values(role="member"))
        db.commit()
    browser = logged_in(app, world.zed_email)
    page = browser.get("/account/delete").get_data(as_text=True)
    assert "only facilitator of" in page and "Peer Circles" in page
    refused = post_form(browser, "/account/delete", {"password": PASSWORD}, page="/account")
    assert refused.status_code == 422 and "make another member a facilitator" in \
        refused.get_data(as_text=True)
    with app.app_context():
        zed = orm.session.get_one(User, world.zed)
        with pytest.raises(Conflict, match="only facilitator of Peer Circles"):
            erasure.erase_account(orm.session(), zed)
        orm.session.rollback()
        assert orm.session.get(User, world.zed) is not None


def test_a_short_name_is_replaced_as_a_whole_word_only(app: Flask, make_user: Any,
                                                      make_community: Any) -> None:
    al, bo = make_user(display_name="Al"), make_user(display_name="Bo")
    make_community(bo, members=[al])
    with app.app_context():
        db = orm.session
        db.add_all([Notification(user_id=bo.id, kind="pulse", text="Al asked. Also: Alma."),
                    Notification(user_id=bo.id, kind="pulse", text="Nothing about him.")])
        db.commit()
        erasure.erase_account(orm.session(), db.get_one(User, al.id))
        db.commit()
        assert sorted(db.scalars(select(Notification.text))) == [
            "Nothing about him.", "a former member asked. Also: Alma."]
