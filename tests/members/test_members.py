"""Member pages: visible only within shared communities, never showing private details;
declaring and withdrawing "I already know them well" ties."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.members import profiles
from circles.models import Community, Tie, User
from circles.network.ties import add_tie
from tests.conftest import AuthActions, post_form, without_csrf


def ties_between(app: Flask, a: int, b: int) -> list[Tie]:
    low, high = sorted((a, b))
    with app.app_context():
        rows = list(orm.session.scalars(select(Tie).where(Tie.low_id == low, Tie.high_id == high)))
        for row in rows:
            orm.session.expunge(row)
        return rows


@pytest.fixture
def grace(app: Flask, make_user: Callable[..., User]) -> User:
    """A member with a full profile, private parts included."""
    user = make_user(display_name="Grace Hopper", email="grace.private@example.org",
                     organisation="Navy", department="Compilers")
    with app.app_context():
        db = orm.session()
        row = db.get_one(User, user.id)
        profiles.update_profile(db, row, {
            "display_name": "Grace Hopper", "timezone": "America/New_York", "organisation": "Navy",
            "department": "Compilers", "bio": "Ships and software.", "background_consent": True,
            "cultural_background": "Dutch-American heritage"})
        profiles.add_strength(db, row, topic="COBOL", offer="Read your spec", level="expert")
        profiles.add_question(db, row, text="How do I retire gracefully?")
        profiles.add_learning_goal(db, row, topic="Gardening")
        profiles.add_boundary(db, row, topic="Legal advice")
        profiles.add_availability(db, row, weekday=3, start="13:15", end="14:45")
        db.commit()
    return user


@pytest.fixture
def shared(make_user: Callable[..., User], make_community: Callable[..., Community],
           grace: User, auth: AuthActions) -> User:
    """A logged-in member who shares a community with Grace."""
    me = make_user(display_name="Alan Turing")
    make_community(me, members=[grace])
    auth.login(me.email)
    return me


def test_member_page_shows_public_profile_only(client: FlaskClient, shared: User, grace: User) -> None:
    response = client.get(f"/members/{grace.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for public in ("Grace Hopper", "Navy", "Compilers", "Ships and software.", "COBOL",
                   "Read your spec", "How do I retire gracefully?", "Gardening", "Legal advice"):
        assert public in page
    for private in ("grace.private@example.org", "Dutch-American", "13:15", "America/New_York"):
        assert private not in page


@pytest.mark.parametrize("who", ["stranger", "nobody"])
def test_member_page_is_not_found_without_a_shared_community(
    client: FlaskClient, make_user: Callable[..., User], make_community: Callable[..., Community],
    auth: AuthActions, grace: User, who: str,
) -> None:
    me = make_user()
    make_community(me, name="Elsewhere")  # a community, just not Grace's
    make_community(grace, name="Grace's own")
    auth.login(me.email)
    user_id = grace.id if who == "stranger" else 9999
    response = client.get(f"/members/{user_id}")
    assert response.status_code == 404
    assert "Grace" not in response.get_data(as_text=True)


def test_own_member_page_is_visible(client: FlaskClient, shared: User) -> None:
    page = client.get(f"/members/{shared.id}").get_data(as_text=True)
    assert "Alan Turing" in page and "I already know them well" not in page


def test_declaring_a_tie_is_idempotent(app: Flask, client: FlaskClient, shared: User, grace: User) -> None:
    page = client.get(f"/members/{grace.id}").get_data(as_text=True)
    assert "I already know them well" in page
    for _ in range(2):
        response = post_form(client, f"/members/{grace.id}/tie", page=f"/members/{grace.id}")
        assert response.status_code == 302
    (tie,) = ties_between(app, shared.id, grace.id)
    assert (tie.source, tie.declared_by_id) == ("declared", shared.id)
    assert "You already know Grace Hopper well" in client.get(f"/members/{grace.id}").get_data(as_text=True)
    assert "Grace Hopper" in client.get("/profile").get_data(as_text=True)


def test_declaring_a_tie_outside_shared_communities_is_not_found(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], auth: AuthActions,
    grace: User,
) -> None:
    me = make_user()
    auth.login(me.email)
    assert post_form(client, f"/members/{grace.id}/tie", page="/profile").status_code == 404
    assert post_form(client, f"/members/{me.id}/tie", page="/profile").status_code == 404
    assert ties_between(app, me.id, grace.id) == []


def test_the_declarer_removes_a_declared_tie(app: Flask, client: FlaskClient, shared: User,
                                            grace: User) -> None:
    post_form(client, f"/members/{grace.id}/tie", page=f"/members/{grace.id}")
    (tie,) = ties_between(app, shared.id, grace.id)
    response = post_form(client, f"/profile/ties/{tie.id}/delete", page="/profile")
    assert response.status_code == 302 and response.headers["Location"] == "/profile#ties"
    assert ties_between(app, shared.id, grace.id) == []
    with app.app_context():
        assert orm.session.scalar(select(func.count()).select_from(Tie)) == 0


def test_the_member_a_tie_names_removes_it_too(app: Flask, client: FlaskClient,
                                               auth: AuthActions, shared: User,
                                               grace: User) -> None:
    """Alan said he knows Grace well; Grace need not let that stand."""
    post_form(client, f"/members/{grace.id}/tie", page=f"/members/{grace.id}")
    (tie,) = ties_between(app, shared.id, grace.id)
    auth.logout()
    auth.login(grace.email)
    page = client.get("/profile").get_data(as_text=True)
    assert "they said so" in page and f"/profile/ties/{tie.id}/delete" in page
    response = post_form(client, f"/profile/ties/{tie.id}/delete", page="/profile")
    assert response.status_code == 302 and response.headers["Location"] == "/profile#ties"
    assert ties_between(app, shared.id, grace.id) == []


def test_nobody_else_removes_or_learns_of_a_tie(
        app: Flask, client: FlaskClient, auth: AuthActions, make_user: Callable[..., User],
        make_community: Callable[..., Community], shared: User, grace: User) -> None:
    post_form(client, f"/members/{grace.id}/tie", page=f"/members/{grace.id}")
    (tie,) = ties_between(app, shared.id, grace.id)
    third = make_user(display_name="Third Party")
    make_community(third, members=[grace])  # shares a community with Grace, not the tie
    auth.logout()
    auth.login(third.email)
    response = post_form(client, f"/profile/ties/{tie.id}/delete", page="/profile")
    missing = post_form(client, f"/profile/ties/{tie.id + 999}/delete", page="/profile")
    assert response.status_code == missing.status_code == 404
    # The pages differ only in their fresh CSRF token (signed with the current second).
    assert without_csrf(response.get_data(as_text=True)) == without_csrf(missing.get_data(as_text=True))
    assert len(ties_between(app, shared.id, grace.id)) == 1


def test_an_imported_tie_stays_for_both_ends(app: Flask, client: FlaskClient, shared: User,
                                             grace: User) -> None:
    with app.app_context():
        tie = add_tie(orm.session, shared.id, grace.id, source="imported")
        orm.session.commit()
        tie_id = tie.id
    page = client.get("/profile").get_data(as_text=True)
    assert "from your organisation's records" in page
    assert f"/profile/ties/{tie_id}/delete" not in page
    assert post_form(client, f"/profile/ties/{tie_id}/delete", page="/profile").status_code == 404
    assert len(ties_between(app, shared.id, grace.id)) == 1
