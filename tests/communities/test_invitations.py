"""Imports invite, they do not add (issue 16): an import row whose address already has an
account invites that person; they join, with the ties the files named, only by accepting."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from circles.communities import invitations
from circles.communities.community import membership_of
from circles.extensions import orm
from circles.models import Community, Invitation, Notification, OutboxMessage, User
from circles.network.ties import find_tie
from circles.onboarding import roster
from tests.conftest import AuthActions, post_form
from tests.onboarding.test_onboarding_views import upload

HEADER = "name,email,team\n"


@pytest.fixture
def cast(make_user: Callable[..., User], make_community: Callable[..., Community]) -> dict[str, Any]:
    lead = make_user(email="lead@example.org")
    kim = make_user(email="kim@example.org", display_name="Kim")
    eve = make_user(email="eve@example.org", verified=False)
    mia = make_user(email="mia@example.org")
    community = make_community(lead, name="Harbour", members=[mia])
    return {"lead": lead, "kim": kim, "eve": eve, "mia": mia, "community": community}


def import_rows(app: Flask, cast: dict[str, Any], text: str, ties: str | None = None) -> Any:
    with app.app_context():
        community = orm.session.get_one(Community, cast["community"].id)
        result = roster.import_members(orm.session, community, text, ties,
                                       invited_by=cast["lead"].id)
        orm.session.commit()
        return result


def client_of(app: Flask, email: str) -> Any:
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def test_an_existing_account_is_invited_not_added(app: Flask, cast: dict[str, Any]) -> None:
    result = import_rows(app, cast, HEADER + "Kim,kim@example.org,T1\nNew,new@example.org,T1\n",
                         "email_a,email_b\nkim@example.org,mia@example.org\n")
    assert (result.added_members, result.invited, result.ties, result.ties_waiting) == (1, 1, 0, 2)
    with app.app_context():
        db = orm.session
        kim = db.get_one(User, cast["kim"].id)
        assert membership_of(db, kim.id, cast["community"].id) is None
        note = db.scalars(select(Notification).where(Notification.user_id == kim.id)).one()
        assert note.kind == "invitation" and note.link.startswith("/claim/")
        assert db.scalar(select(OutboxMessage.id).where(OutboxMessage.to == kim.email))
        assert find_tie(db, kim.id, cast["mia"].id) is None  # nothing about Kim yet


def test_accepting_makes_a_member_with_the_named_ties(app: Flask, cast: dict[str, Any]) -> None:
    import_rows(app, cast, HEADER + "Kim,kim@example.org,T1\nNew,new@example.org,T1\n",
                "email_a,email_b\nkim@example.org,mia@example.org\n")
    with app.app_context():
        token = orm.session.scalars(select(Invitation.token)).one()
    kim = client_of(app, "kim@example.org")
    assert kim.get(f"/claim/{token}").headers["Location"] == f"/invitations/{token}"
    page = kim.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Harbour" in page and "Accept and join" in page
    for stranger in ("mia@example.org", "lead@example.org"):  # only Kim may open it
        assert client_of(app, stranger).get(f"/invitations/{token}").status_code == 404
    assert app.test_client().get(f"/invitations/{token}").status_code == 302  # log in first
    accepted = post_form(kim, f"/invitations/{token}/accept", page=f"/invitations/{token}")
    assert accepted.headers["Location"] == f"/communities/{cast['community'].id}"
    with app.app_context():
        db = orm.session
        assert membership_of(db, cast["kim"].id, cast["community"].id) is not None
        new = db.scalars(select(User).where(User.email == "new@example.org")).one()
        for other in (cast["mia"].id, new.id):  # the ties file's and the team's
            assert find_tie(db, cast["kim"].id, other) is not None
    again = post_form(kim, f"/invitations/{token}/decline", page=f"/invitations/{token}")
    assert again.status_code == 302
    with app.app_context():
        assert membership_of(orm.session, cast["kim"].id, cast["community"].id) is not None


def test_declining_adds_nothing_and_a_reimport_does_not_ask_again(
        app: Flask, cast: dict[str, Any]) -> None:
    import_rows(app, cast, HEADER + "Kim,kim@example.org,\n")
    with app.app_context():
        token = orm.session.scalars(select(Invitation.token)).one()
    kim = client_of(app, "kim@example.org")
    post_form(kim, f"/invitations/{token}/decline", page=f"/invitations/{token}")
    again = import_rows(app, cast, HEADER + "Kim,kim@example.org,\n")
    assert again.invited == 0
    with app.app_context():
        assert membership_of(orm.session, cast["kim"].id, cast["community"].id) is None
        assert orm.session.scalar(select(Notification.id).where(
            Notification.user_id == cast["kim"].id, Notification.read_at.is_(None))) is not None


def test_an_unverified_account_hears_only_by_mail_and_cannot_accept(
        app: Flask, cast: dict[str, Any]) -> None:
    import_rows(app, cast, HEADER + "Eve,eve@example.org,\n")
    with app.app_context():
        db = orm.session
        eve = db.get_one(User, cast["eve"].id)
        assert db.scalar(select(Notification.id).where(Notification.user_id == eve.id)) is None
        assert db.scalar(select(OutboxMessage.id).where(OutboxMessage.to == eve.email))
        invitation = db.scalars(select(Invitation)).one()
        assert invitations.pending_for(db, eve) == []
        token = invitation.token
    eve_client = client_of(app, "eve@example.org")
    assert "first confirm your e-mail address" in eve_client.get(
        f"/invitations/{token}").get_data(as_text=True)
    post_form(eve_client, f"/invitations/{token}/accept", page=f"/invitations/{token}")
    with app.app_context():
        assert membership_of(orm.session, cast["eve"].id, cast["community"].id) is None


def test_the_preview_says_nothing_about_who_has_an_account(
        app: Flask, cast: dict[str, Any]) -> None:
    lead = client_of(app, "lead@example.org")
    url = f"/communities/{cast['community'].id}/import"
    html = upload(lead, url, (HEADER + "Kim,kim@example.org,\nZed,zed@example.org,\n")
                  .encode()).get_data(as_text=True)
    cells = {email: re.search(rf"{re.escape(email)}</td>(.*?)</tr>", html, re.DOTALL)
             for email in ("kim@example.org", "zed@example.org")}
    assert all(cells.values()), html
    kim_row, zed_row = (cell.group(1) for cell in cells.values() if cell)
    assert kim_row.replace("Kim", "X") == zed_row.replace("Zed", "X")
    assert "existing" not in html.lower() and "already has an account" not in html


def test_imports_are_rate_limited_per_facilitator(app: Flask, cast: dict[str, Any]) -> None:
    app.config["IMPORT_RATE_LIMIT"] = "3 per minute"
    lead = client_of(app, "lead@example.org")
    url = f"/communities/{cast['community'].id}/import"
    statuses = [upload(lead, url, (HEADER + f"P{n},p{n}@example.org,\n").encode()).status_code
                for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_accepting_an_invitation_needs_the_code_of_conduct_when_there_is_one(
        app: Flask, cast: dict[str, Any]) -> None:
    with app.app_context():
        orm.session.get_one(Community, cast["community"].id).conduct = "Be kind. Keep confidences."
        orm.session.commit()
    import_rows(app, cast, HEADER + "Kim,kim@example.org,T1\n")
    with app.app_context():
        token = orm.session.scalars(select(Invitation.token)).one()
    kim = client_of(app, "kim@example.org")
    page = kim.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Be kind. Keep confidences." in page and "I accept the code of conduct of Harbour" in page
    refused = post_form(kim, f"/invitations/{token}/accept", page=f"/invitations/{token}")
    assert refused.status_code == 422
    assert "Accept the code of conduct of Harbour to join." in refused.get_data(as_text=True)
    with app.app_context():
        assert membership_of(orm.session, cast["kim"].id, cast["community"].id) is None
        assert orm.session.scalars(select(Invitation)).one().answered_at is None  # still open
    accepted = post_form(kim, f"/invitations/{token}/accept", {"accept_conduct": "y"},
                         page=f"/invitations/{token}")
    assert accepted.headers["Location"] == f"/communities/{cast['community'].id}"
    with app.app_context():
        membership = membership_of(orm.session, cast["kim"].id, cast["community"].id)
        assert membership is not None and membership.conduct_accepted_at is not None
