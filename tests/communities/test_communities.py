"""Communities: who may see and run them, creating one, joining by invite, roles, topics."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.models import Community, Membership, Topic
from tests.conftest import AuthActions, outbox_link, post_form
from tests.support.world import (
    ROLES,
    World,
    assert_outcome,
    build_world,
    log_in_as,
    request_as,
)

JOIN_BUTTON = '<button type="submit" class="button">Join Peer Circles 2025</button>'


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, make_user: Any, make_community: Any,
          make_circle: Any) -> World:
    return build_world(make_user, make_community, make_circle)


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return orm.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def role_of(app: Flask, community_id: int, user_id: int) -> str | None:
    with app.app_context():
        return orm.session.scalar(select(Membership.role).where(
            Membership.community_id == community_id, Membership.user_id == user_id))


def invite_code(app: Flask, community_id: int) -> str:
    with app.app_context():
        return orm.session.get_one(Community, community_id).invite_code


# (method, url template, form data, expected outcome per role in ROLES order)
ROUTES: list[tuple[str, str, dict[str, Any], tuple[int | str, ...]]] = [
    ("GET", "/communities/new", {}, (200, 200, 200, 200, "login")),
    ("GET", "/communities/{community}", {}, (200, 200, 200, 404, "login")),
    ("POST", "/communities/{community}/members/{member}/role", {"role": "facilitator"},
     (302, 404, 404, 404, "login")),
    ("POST", "/communities/{community}/invite", {}, (302, 404, 404, 404, "login")),
    ("POST", "/communities/{community}/topics", {"label": "Negotiation"},
     (302, 404, 404, 404, "login")),
    ("GET", "/join", {}, (200, 200, 200, 200, "login")),
    ("GET", "/join/{code}", {}, (200, 200, 200, 200, 200)),
    ("POST", "/join/{code}", {}, (302, 302, 302, 302, "login")),
]


@pytest.mark.parametrize(("method", "url", "data", "outcomes"), ROUTES,
                         ids=[f"{m} {u}" for m, u, _, _ in ROUTES])
@pytest.mark.parametrize("who", ROLES)
def test_permission_matrix(client: FlaskClient, auth: AuthActions, world: World, who: str,
                           method: str, url: str, data: dict[str, Any],
                           outcomes: tuple[int | str, ...]) -> None:
    log_in_as(auth, world, who)
    target = url.format(community=world.community_id, member=world.id("member"),
                        code=world.invite_code)
    response = request_as(client, method, target, data, anonymous=who == "anonymous")
    assert_outcome(response, outcomes[ROLES.index(who)])


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/communities/9999"),
    ("POST", "/communities/9999/members/1/role"),
    ("POST", "/communities/9999/invite"),
    ("POST", "/communities/9999/topics"),
    ("GET", "/join/no-such-code"),
    ("POST", "/join/no-such-code"),
])
def test_unknown_ids_are_not_found(client: FlaskClient, auth: AuthActions, world: World,
                                   method: str, url: str) -> None:
    log_in_as(auth, world, "facilitator")
    assert request_as(client, method, url, {"role": "member", "label": "X"}).status_code == 404


def test_member_of_another_community_cannot_change_roles_there(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    log_in_as(auth, world, "other_facilitator")
    url = f"/communities/{world.community_id}/members/{world.id('member')}/role"
    assert request_as(client, "POST", url, {"role": "facilitator"}).status_code == 404
    assert role_of(app, world.community_id, world.id("member")) == "member"


def test_create_community_makes_the_creator_its_facilitator(
    app: Flask, client: FlaskClient, auth: AuthActions, make_user: Any
) -> None:
    ada = make_user(email="ada@example.org")
    auth.login("ada@example.org")
    response = post_form(client, "/communities/new",
                         {"name": "  Data   guild ", "description": "Peers in data."})
    assert response.status_code == 302
    with app.app_context():
        community = orm.session.scalars(select(Community)).one()
        assert community.name == "Data guild"
    assert response.headers["Location"] == f"/communities/{community.id}"
    assert role_of(app, community.id, ada.id) == "facilitator"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Data guild" in page and "Peers in data." in page


@pytest.mark.parametrize(("field", "data", "message"), [
    ("name", {"name": ""}, "Give the community a name."),
    ("name", {"name": "   "}, "Give the community a name."),
    ("name", {"name": "x" * 121}, "Keep the name under 120 characters."),
    ("description", {"name": "Fine", "description": "d" * 2001},
     "Keep “Description” under 2000 characters."),
])
def test_create_community_validation(app: Flask, client: FlaskClient, auth: AuthActions,
                                     make_user: Any, field: str, data: dict[str, str],
                                     message: str) -> None:
    make_user(email="ada@example.org")
    auth.login("ada@example.org")
    response = post_form(client, "/communities/new", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error" role="alert">{message}</p>' in html
    assert count(app, Community) == 0


def test_facilitator_sees_the_running_tools(client: FlaskClient, auth: AuthActions,
                                            world: World) -> None:
    log_in_as(auth, world, "facilitator")
    html = client.get(f"/communities/{world.community_id}").get_data(as_text=True)
    assert f"http://localhost/join/{world.invite_code}" in html
    assert world.invite_code in html
    assert "Make a new link" in html
    assert world.email("member") in html
    # Roles change on a member's own row, once asked for ("Change role"), not by a select in every row.
    assert 'name="role"' not in html
    change = f'href="/communities/{world.community_id}?role={world.id("member")}#member-{world.id("member")}"'
    assert change in html
    asked = client.get(f"/communities/{world.community_id}?role={world.id('member')}").get_data(as_text=True)
    assert asked.count('name="role"') == 1
    assert f'action="/communities/{world.community_id}/members/{world.id("member")}/role"' in asked
    assert "Add topic" in html
    assert "Cora &amp; Milo" in html  # every circle of the community, though Fay is in none
    assert f'href="/communities/{world.community_id}/circles/new">Form a circle' in html
    assert "Import members from CSV" in html


def test_member_sees_roster_and_own_circles_but_no_tools(client: FlaskClient, auth: AuthActions,
                                                          world: World) -> None:
    log_in_as(auth, world, "circle_member")
    html = client.get(f"/communities/{world.community_id}").get_data(as_text=True)
    assert "Peer Circles 2025" in html
    assert f'href="/members/{world.id("member")}">Mona Member</a>' in html
    assert "Initech" in html and "Finance" in html
    assert f'href="/circles/{world.circle_id}">Cora &amp; Milo' in html
    for hidden in (world.invite_code, world.email("member"), "Make a new link", "Add topic",
                   "Form a circle", "Import members from CSV"):
        assert hidden not in html


def test_signed_in_user_joins_through_the_invite_page(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World, make_user: Any
) -> None:
    newcomer = make_user(email="new@example.org")
    auth.login("new@example.org")
    page = client.get(f"/join/{world.invite_code}").get_data(as_text=True)
    assert "Peer Circles 2025" in page and JOIN_BUTTON in page
    response = post_form(client, f"/join/{world.invite_code}")
    assert response.headers["Location"] == f"/communities/{world.community_id}"
    assert role_of(app, world.community_id, newcomer.id) == "member"
    with app.app_context():
        assert orm.session.get_one(Community, world.community_id).invite_uses == 1
    assert "Welcome to Peer Circles 2025!" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_anonymous_visitor_signs_up_and_comes_back_to_join(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    back = f"/join/{world.invite_code}"
    page = client.get(back).get_data(as_text=True)
    assert "Peer Circles 2025" in page and JOIN_BUTTON not in page
    signup_href = f"/signup?next=/join/{world.invite_code}"
    assert f'href="{signup_href}">Sign up to join' in page
    assert f'href="/login?next=/join/{world.invite_code}">Log in to join' in page
    response = post_form(client, signup_href, {
        "email": "newbie@example.org", "password": "correct horse battery",
        "display_name": "Newbie", "timezone": "UTC"})
    assert response.headers["Location"] == back
    # Until the address is verified, nobody can join under it (issue 16).
    page = client.get(back).get_data(as_text=True)
    assert JOIN_BUTTON not in page and "first confirm your e-mail address" in page
    refused = post_form(client, back)
    assert refused.headers["Location"] == back
    assert count(app, Membership, Membership.community_id == world.community_id) == 5
    assert post_form(client, outbox_link(app, "newbie@example.org", "/verify/")).status_code == 302
    assert JOIN_BUTTON in client.get(back).get_data(as_text=True)
    joined = post_form(client, back)
    assert joined.headers["Location"] == f"/communities/{world.community_id}"
    assert count(app, Membership, Membership.community_id == world.community_id) == 6


def test_existing_member_gets_a_friendly_message(app: Flask, client: FlaskClient,
                                                 auth: AuthActions, world: World) -> None:
    log_in_as(auth, world, "member")
    assert "You are already a member" in client.get(f"/join/{world.invite_code}").get_data(as_text=True)
    response = post_form(client, f"/join/{world.invite_code}", page="/")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are already a member of Peer Circles 2025." in html
    assert count(app, Membership, Membership.community_id == world.community_id) == 5


@pytest.mark.parametrize("pasted", [
    "{code}", "  {code}  ", "http://localhost/join/{code}", "https://circles.example/join/{code}/",
])
def test_join_form_accepts_a_code_or_a_link(app: Flask, client: FlaskClient, auth: AuthActions,
                                            world: World, pasted: str) -> None:
    log_in_as(auth, world, "outsider")
    response = post_form(client, "/join", {"code": pasted.format(code=world.invite_code)})
    assert response.headers["Location"] == f"/communities/{world.community_id}"
    assert role_of(app, world.community_id, world.id("outsider")) == "member"


@pytest.mark.parametrize(("pasted", "message"), [
    ("", "Paste the invite code or link."),
    ("not-a-code", "No community has that invite code."),
    ("http://localhost/join/", "No community has that invite code."),
])
def test_join_form_explains_a_bad_code(app: Flask, client: FlaskClient, auth: AuthActions,
                                       world: World, pasted: str, message: str) -> None:
    log_in_as(auth, world, "outsider")
    response = post_form(client, "/join", {"code": pasted})
    assert response.status_code == 422
    assert 'id="code-error"' in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert role_of(app, world.community_id, world.id("outsider")) is None


def test_a_new_invite_link_retires_the_old_one(app: Flask, client: FlaskClient,
                                               auth: AuthActions, world: World) -> None:
    old = world.invite_code
    log_in_as(auth, world, "facilitator")
    response = post_form(client, f"/communities/{world.community_id}/invite", page="/")
    assert response.status_code == 302
    new = invite_code(app, world.community_id)
    assert new != old
    assert client.get(f"/join/{old}").status_code == 404
    assert client.get(f"/join/{new}").status_code == 200
    auth.logout()
    log_in_as(auth, world, "outsider")
    assert post_form(client, f"/join/{old}", page="/").status_code == 404
    assert role_of(app, world.community_id, world.id("outsider")) is None


def test_roles_change_but_one_facilitator_always_remains(app: Flask, client: FlaskClient,
                                                        auth: AuthActions, world: World) -> None:
    log_in_as(auth, world, "facilitator")
    base = f"/communities/{world.community_id}/members"
    me = world.id("facilitator")
    refused = post_form(client, f"{base}/{me}/role", {"role": "member"}, page="/")
    assert refused.status_code == 422
    assert (f'<p class="error" id="role-{me}-error" role="alert">'
            "A community needs at least one facilitator.</p>") in refused.get_data(as_text=True)
    assert role_of(app, world.community_id, me) == "facilitator"

    promoted = post_form(client, f"{base}/{world.id('member')}/role", {"role": "facilitator"}, page="/")
    assert promoted.status_code == 302
    assert post_form(client, f"{base}/{me}/role", {"role": "member"}, page="/").status_code == 302
    assert role_of(app, world.community_id, me) == "member"
    assert role_of(app, world.community_id, world.id("member")) == "facilitator"


def test_role_must_be_member_or_facilitator(app: Flask, client: FlaskClient, auth: AuthActions,
                                            world: World) -> None:
    log_in_as(auth, world, "facilitator")
    url = f"/communities/{world.community_id}/members/{world.id('member')}/role"
    response = post_form(client, url, {"role": "admin"}, page="/")
    assert response.status_code == 422
    assert "Choose member or facilitator." in response.get_data(as_text=True)
    assert role_of(app, world.community_id, world.id("member")) == "member"


@pytest.mark.parametrize(("label", "status", "stored"), [
    ("  public   speaking ", 302, ["Public speaking"]),
    ("", 422, []),
    ("t" * 81, 422, []),
])
def test_facilitator_adds_topics(app: Flask, client: FlaskClient, auth: AuthActions,
                                 world: World, label: str, status: int, stored: list[str]) -> None:
    log_in_as(auth, world, "facilitator")
    response = post_form(client, f"/communities/{world.community_id}/topics", {"label": label},
                         page="/")
    assert response.status_code == status
    if status == 422:
        assert 'id="label-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert list(orm.session.scalars(select(Topic.label))) == stored


def test_welcome_offers_sign_up_and_lists_demo_logins(client: FlaskClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'href="/signup"' in html and 'href="/login"' in html
    assert "Try the demo" not in html
    monkeypatch.setattr("circles.demo.community.demo_logins",
                        lambda db: [("ana@demo.circles.example", "circles-demo", "facilitator")])
    html = client.get("/").get_data(as_text=True)
    assert "Try the demo" in html and "ana@demo.circles.example" in html and "circles-demo" in html
