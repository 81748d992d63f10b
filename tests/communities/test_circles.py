"""Circles: forming them by hand, who may see them, the side-by-side page, history, dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.members import profiles
from circles.models import Circle, CircleMember, User
from tests.conftest import AuthActions, post_form
from tests.support.world import (
    ROLES,
    World,
    assert_outcome,
    build_world,
    log_in_as,
    request_as,
)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, make_user: Any, make_community: Any,
          make_circle: Any) -> World:
    return build_world(make_user, make_community, make_circle)


@pytest.fixture
def placed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, list[int]]]:
    """Records each ``placed_in_circle`` broadcast: (circle id, member ids at that moment)."""
    calls: list[tuple[int, list[int]]] = []
    monkeypatch.setattr("realtime.broadcast.placed_in_circle", lambda circle, ids=None: calls.append(
        (circle.id, ids if ids is not None else [seat.user_id for seat in circle.current_seats])))
    return calls


def circle_count(app: Flask) -> int:
    with app.app_context():
        return orm.session.scalar(select(func.count()).select_from(Circle)) or 0


def seated(app: Flask, circle_id: int) -> set[int]:
    with app.app_context():
        return set(orm.session.scalars(select(CircleMember.user_id).where(
            CircleMember.circle_id == circle_id, CircleMember.left_at.is_(None))))


def give_profile(app: Flask, user_id: int) -> None:
    with app.app_context():
        user = orm.session.get_one(User, user_id)
        profiles.add_strength(orm.session, user, topic="negotiation", offer="Salary talks",
                              level="expert")
        profiles.add_strength(orm.session, user, topic="SQL tuning", level="practised")
        profiles.add_question(orm.session, user, text="How do I lead without authority?")
        profiles.add_learning_goal(orm.session, user, topic="public speaking", note="Conferences")
        profiles.add_boundary(orm.session, user, topic="Tax law")
        orm.session.commit()


# (method, url template, form data, expected outcome per role in ROLES order)
ROUTES: list[tuple[str, str, dict[str, Any], tuple[int | str, ...]]] = [
    ("GET", "/communities/{community}/circles/new", {}, (200, 404, 404, 404, "login")),
    ("POST", "/communities/{community}/circles/new", {"members": ["{member}", "{candidate}"]},
     (302, 404, 404, 404, "login")),
    ("GET", "/circles/{circle}", {}, (200, 200, 404, 404, "login")),
    ("POST", "/circles/{circle}/members", {"member": "{candidate}"}, (302, 404, 404, 404, "login")),
    ("POST", "/circles/{circle}/members/{mate}/remove", {"reason": "Moved teams"},
     (302, 404, 404, 404, "login")),
]


def fill(value: Any, world: World) -> Any:
    ids = {"community": world.community_id, "circle": world.circle_id,
           **{who: world.id(who) for who in ("member", "candidate", "mate")}}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return value.format(**ids)


@pytest.mark.parametrize(("method", "url", "data", "outcomes"), ROUTES,
                         ids=[f"{m} {u}" for m, u, _, _ in ROUTES])
@pytest.mark.parametrize("who", ROLES)
def test_permission_matrix(client: FlaskClient, auth: AuthActions, world: World,
                           placed: list[Any], who: str, method: str, url: str,
                           data: dict[str, Any], outcomes: tuple[int | str, ...]) -> None:
    log_in_as(auth, world, who)
    response = request_as(client, method, fill(url, world),
                          {k: fill(v, world) for k, v in data.items()},
                          anonymous=who == "anonymous")
    assert_outcome(response, outcomes[ROLES.index(who)])


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/communities/9999/circles/new"),
    ("POST", "/communities/9999/circles/new"),
    ("GET", "/circles/9999"),
    ("POST", "/circles/9999/members"),
    ("POST", "/circles/9999/members/1/remove"),
])
def test_unknown_ids_are_not_found(client: FlaskClient, auth: AuthActions, world: World,
                                   method: str, url: str) -> None:
    log_in_as(auth, world, "facilitator")
    assert request_as(client, method, url, {"member": "1"}).status_code == 404


def test_facilitator_of_another_community_cannot_see_or_run_the_circle(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    log_in_as(auth, world, "other_facilitator")
    assert client.get(f"/circles/{world.circle_id}").status_code == 404
    url = f"/circles/{world.circle_id}/members/{world.id('mate')}/remove"
    assert request_as(client, "POST", url, {"reason": "x"}).status_code == 404
    assert seated(app, world.circle_id) == {world.id("circle_member"), world.id("mate")}


@pytest.mark.parametrize(("chosen", "kind"), [
    (("member", "candidate"), "pair"),
    (("member", "candidate", "facilitator"), "group"),
])
def test_facilitator_forms_a_circle_and_its_members_are_told(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World,
    placed: list[tuple[int, list[int]]], chosen: tuple[str, ...], kind: str
) -> None:
    log_in_as(auth, world, "facilitator")
    ids = [world.id(who) for who in chosen]
    response = post_form(client, f"/communities/{world.community_id}/circles/new",
                         {"name": "", "members": ids})
    assert response.status_code == 302
    with app.app_context():
        circle = orm.session.scalars(select(Circle).order_by(Circle.id.desc())).first()
        assert circle is not None and circle.kind == kind
        assert circle.name.startswith("Mona & Cal")
    assert response.headers["Location"] == f"/circles/{circle.id}"
    assert placed == [(circle.id, ids)]


def test_circle_form_lists_members_with_organisation_and_department(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    log_in_as(auth, world, "facilitator")
    html = client.get(f"/communities/{world.community_id}/circles/new").get_data(as_text=True)
    assert f'name="members" value="{world.id("member")}"' in html
    assert "Mona Member" in html and "Initech · Finance" in html
    assert "Otto Outsider" not in html


@pytest.mark.parametrize(("picks", "message"), [
    (1, "Choose at least two members."),
    (0, "Choose at least two members."),
    (9, "A circle has at most 8 members (9 chosen)."),
    ("outsider", "Everyone in a circle must belong to this community."),
])
def test_circle_creation_validation(app: Flask, client: FlaskClient, auth: AuthActions,
                                    world: World, make_user: Any, make_community: Any,
                                    placed: list[Any], picks: int | str, message: str) -> None:
    if picks == "outsider":
        ids = [world.id("member"), world.id("outsider")]
        community_id = world.community_id
    else:
        extra = [make_user() for _ in range(9)]
        community = make_community(world.users["facilitator"], name="Big", members=extra)
        ids, community_id = [u.id for u in extra[: int(picks)]], community.id
    log_in_as(auth, world, "facilitator")
    before = circle_count(app)
    response = post_form(client, f"/communities/{community_id}/circles/new",
                         {"name": "Try", "members": ids})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="members-error" role="alert">{message}</p>' in html
    assert circle_count(app) == before
    assert placed == []


def test_circle_name_is_limited(app: Flask, client: FlaskClient, auth: AuthActions,
                                world: World) -> None:
    log_in_as(auth, world, "facilitator")
    response = post_form(client, f"/communities/{world.community_id}/circles/new",
                         {"name": "n" * 121, "members": [world.id("member"), world.id("candidate")]})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert circle_count(app) == 1


def test_circle_page_shows_circle_mates_side_by_side(app: Flask, client: FlaskClient,
                                                     auth: AuthActions, world: World) -> None:
    give_profile(app, world.id("mate"))
    log_in_as(auth, world, "circle_member")
    html = client.get(f"/circles/{world.circle_id}").get_data(as_text=True)
    assert 'class="side-by-side members"' in html
    assert f'href="/members/{world.id("mate")}">Milo Mate</a>' in html
    assert "Globex · Sales" in html
    for shown in ('<span class="tag">Negotiation</span>', "Salary talks", "expert",
                  '<span class="tag">SQL tuning</span>', "How do I lead without authority?",
                  '<span class="tag">Public speaking</span>', "Conferences",
                  "Can't advise on", '<span class="tag">Tax law</span>'):
        assert shown in html
    assert "Remove from circle" not in html and "Add a member" not in html


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_people_outside_the_circle_get_not_found(
    client: FlaskClient, auth: AuthActions, world: World, make_user: Any, make_circle: Any,
    who: str
) -> None:
    """``member`` sits in a different circle of the same community and still may not look."""
    make_circle(world.community, [world.users["member"], world.users["candidate"]])
    log_in_as(auth, world, who)
    assert client.get(f"/circles/{world.circle_id}").status_code == 404


def test_removal_reason_is_shown_to_facilitators_not_to_other_members(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    log_in_as(auth, world, "facilitator")
    url = f"/circles/{world.circle_id}/members/{world.id('mate')}/remove"
    response = post_form(client, url, {"reason": "Moved to the night shift"}, page="/")
    assert response.status_code == 302
    assert seated(app, world.circle_id) == {world.id("circle_member")}
    html = client.get(f"/circles/{world.circle_id}").get_data(as_text=True)
    assert "Moved to the night shift" in html
    auth.logout()
    log_in_as(auth, world, "circle_member")
    html = client.get(f"/circles/{world.circle_id}").get_data(as_text=True)
    assert "Milo Mate" in html  # the history still shows who was here
    assert "Moved to the night shift" not in html and "private" in html
    auth.logout()
    log_in_as(auth, world, "mate")
    assert client.get(f"/circles/{world.circle_id}").status_code == 404


def test_removal_reason_too_long_keeps_the_member(app: Flask, client: FlaskClient,
                                                 auth: AuthActions, world: World) -> None:
    log_in_as(auth, world, "facilitator")
    mate = world.id("mate")
    response = post_form(client, f"/circles/{world.circle_id}/members/{mate}/remove",
                         {"reason": "r" * 501}, page="/")
    assert response.status_code == 422
    assert f'id="reason-{mate}-error"' in response.get_data(as_text=True)
    assert mate in seated(app, world.circle_id)


def test_facilitator_adds_a_member_and_history_records_it(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World,
    placed: list[tuple[int, list[int]]],
) -> None:
    log_in_as(auth, world, "facilitator")
    page = client.get(f"/circles/{world.circle_id}").get_data(as_text=True)
    assert f'<option value="{world.id("candidate")}">Cal Candidate (Initech · Legal)</option>' in page
    assert f'<option value="{world.id("mate")}"' not in page
    response = post_form(client, f"/circles/{world.circle_id}/members",
                         {"member": world.id("candidate")}, page="/")
    assert response.status_code == 302
    assert world.id("candidate") in seated(app, world.circle_id)
    with app.app_context():
        assert orm.session.get_one(Circle, world.circle_id).kind == "group"
    assert placed == [(world.circle_id, [world.id("candidate")])]  # only the newcomer is told


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("mate", 422), ("", 422)])
def test_adding_someone_unsuitable_changes_nothing(app: Flask, client: FlaskClient,
                                                  auth: AuthActions, world: World,
                                                  who: str, status: int) -> None:
    log_in_as(auth, world, "facilitator")
    member = world.id(who) if who else ""
    response = post_form(client, f"/circles/{world.circle_id}/members", {"member": member},
                         page="/")
    assert response.status_code == status
    if status == 422:
        assert 'class="error' in response.get_data(as_text=True)
    assert seated(app, world.circle_id) == {world.id("circle_member"), world.id("mate")}


def test_dashboard_shows_circles_communities_and_a_profile_prompt(
    app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    give_profile(app, world.id("mate"))
    log_in_as(auth, world, "circle_member")
    html = client.get("/").get_data(as_text=True)
    assert f'href="/circles/{world.circle_id}">Cora &amp; Milo</a>' in html
    assert "Peer Circles 2025" in html and "Milo Mate" in html
    assert '<span class="tag">Negotiation</span>' in html
    assert "Cora Circle</li>" not in html  # the other members, not me
    assert '<span class="badge">member</span>' in html
    assert "Complete your profile" in html
    assert 'href="/communities/new"' in html and 'href="/join"' in html
    auth.logout()
    log_in_as(auth, world, "mate")
    assert "Complete your profile" not in client.get("/").get_data(as_text=True)


def test_forming_a_circle_tells_each_member_over_their_socket(
    app: Flask, auth: AuthActions, world: World, make_user: Any
) -> None:
    """Unit-level: the broadcast reaches the member's room with the circle's id, name and url
    (the realtime suite checks the same over a live server)."""
    member_client = app.test_client()
    AuthActions(member_client).login(world.email("member"))
    socket = app.extensions["socketio"].test_client(app, flask_test_client=member_client)
    assert socket.is_connected()
    socket.get_received()
    log_in_as(auth, world, "facilitator")
    response = post_form(auth.client, f"/communities/{world.community_id}/circles/new",
                         {"name": "New pair", "members": [world.id("member"), world.id("candidate")]})
    circle_id = int(response.headers["Location"].rsplit("/", 1)[1])
    events = [e for e in socket.get_received() if e["name"] == "circle_placed"]
    assert events == [{"name": "circle_placed", "namespace": "/", "args": [
        {"circle_id": circle_id, "name": "New pair", "url": f"/circles/{circle_id}"}]}]
    socket.disconnect()
