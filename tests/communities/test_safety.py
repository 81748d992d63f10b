"""Safety contacts read the concerns members report — what was written and who was involved,
never any session content — and a community's code of conduct must be accepted to join."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities import safety
from circles.errors import Conflict, InvalidInput
from circles.extensions import orm
from circles.models import Community, ConcernReport, Membership, Notification, User
from tests.conftest import AuthActions, post_form
from tests.support.privacy_world import MARK, OTHERS, PrivacyWorld, build_privacy_world

#: Words of the world's sessions, which a safety contact never reads through a report.
SESSION_WORDS = (f"story {MARK}", "Ann's idea", f"private {MARK}", f"Ann to Bob {OTHERS}",
                 "Ann to Zed", f"commit {MARK}", f"pulse {MARK}", "will send slides")


@pytest.fixture
def world(app: Flask, make_user: Any) -> PrivacyWorld:
    return build_privacy_world(app, make_user)


def login(app: Flask, world: PrivacyWorld, user_id: int) -> Any:
    client = app.test_client()
    assert AuthActions(client).login(world.email(app, user_id)).status_code == 302
    return client


def test_a_safety_contact_reads_the_report_and_who_was_involved_and_no_session(
        app: Flask, world: PrivacyWorld) -> None:
    page = login(app, world, world.ann).get(f"/communities/{world.community_id}/concerns")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"concern {MARK}" in text and world.zed_name in text and "Bob Example" in text
    assert [w for w in SESSION_WORDS if w in text] == []


@pytest.mark.parametrize("who", ["fay", "bob", "zed"])
def test_nobody_else_reads_the_reports_not_even_the_facilitator(
        app: Flask, world: PrivacyWorld, who: str) -> None:
    client = login(app, world, getattr(world, who))
    assert client.get(f"/communities/{world.community_id}/concerns").status_code == 404


def test_a_member_reports_and_the_contacts_are_told_without_the_words(
        app: Flask, world: PrivacyWorld) -> None:
    bob = login(app, world, world.bob)
    url = f"/communities/{world.community_id}/concerns/new"
    sent = post_form(bob, url, {"text": "Someone kept interrupting me", "subject_id": "0"})
    assert sent.status_code == 302
    with app.app_context():
        db = orm.session
        report = db.scalars(select(ConcernReport).where(
            ConcernReport.reporter_id == world.bob)).one()
        assert (report.subject_id, report.text) == (None, "Someone kept interrupting me")
        told = db.scalars(select(Notification).where(Notification.kind == "concern")).all()
        assert [n.user_id for n in told] == [world.ann]
        assert "interrupting" not in told[0].text


@pytest.mark.parametrize(("text", "subject", "field", "problem"), [
    ("  ", None, "text", "Say what happened"),
    ("x" * 4001, None, "text", "Keep it to 4,000 characters"),
    ("Fine words", "self", "subject_id", "Choose someone from this community"),
    ("Fine words", "outsider", "subject_id", "Choose someone from this community"),
])
def test_a_report_says_plainly_what_is_wrong(db: Session, world: PrivacyWorld, text: str,
                                             subject: str | None, field: str,
                                             problem: str) -> None:
    outsider = User(email="out@example.org", display_name="Out Sider", timezone="UTC")
    db.add(outsider)
    db.flush()
    subject_id = {"self": world.bob, "outsider": outsider.id, None: None}[subject]
    with pytest.raises(InvalidInput, match=problem) as refused:
        safety.report_concern(db, db.get_one(User, world.bob), world.community_id, text,
                              subject_id)
    assert set(refused.value.errors) == {field}


def test_without_a_safety_contact_a_report_is_refused_with_what_to_do(
        db: Session, world: PrivacyWorld) -> None:
    community = db.get_one(Community, world.community_id)
    safety.set_safety_contacts(db, community, set())
    with pytest.raises(Conflict, match="ask a facilitator to name one"):
        safety.report_concern(db, db.get_one(User, world.bob), community.id, "Words")


def conduct_world(app: Flask, make_user: Any, make_community: Any) -> tuple[Any, Any, Any]:
    lead, newcomer = make_user(display_name="Lea Lead"), make_user(display_name="New Comer")
    community = make_community(lead, name="Kind Cohort")
    fay = app.test_client()
    assert AuthActions(fay).login(lead.email).status_code == 302
    saved = post_form(fay, f"/communities/{community.id}/safety",
                      {"conduct": "Be kind. What is said in a circle stays there.",
                       "contacts": [str(lead.id)]})
    assert saved.status_code == 302
    return community, newcomer, lead


def test_joining_needs_the_code_of_conduct_accepted_and_records_when(
        app: Flask, make_user: Any, make_community: Any) -> None:
    community, newcomer, lead = conduct_world(app, make_user, make_community)
    client = app.test_client()
    assert AuthActions(client).login(newcomer.email).status_code == 302
    page = client.get(f"/join/{community.invite_code}").get_data(as_text=True)
    assert "What is said in a circle stays there." in page
    refused = post_form(client, f"/join/{community.invite_code}")
    assert refused.status_code == 422
    assert "Accept the code of conduct of Kind Cohort to join." in refused.get_data(as_text=True)
    pasted = post_form(client, "/join", {"code": community.invite_code})
    assert pasted.headers["Location"] == f"/join/{community.invite_code}"  # read it first
    with app.app_context():
        assert orm.session.scalars(select(Membership).where(
            Membership.user_id == newcomer.id)).all() == []
    joined = post_form(client, f"/join/{community.invite_code}", {"accept_conduct": "y"},
                       page=f"/join/{community.invite_code}")
    assert joined.status_code == 302
    with app.app_context():
        membership = orm.session.scalars(select(Membership).where(
            Membership.user_id == newcomer.id)).one()
        assert membership.conduct_accepted_at is not None
        contact = orm.session.scalars(select(Membership).where(
            Membership.user_id == lead.id)).one()
        assert contact.safety_contact is True
