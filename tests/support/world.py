"""A small world for permission tests: one community with a circle, and a second community.

People, by the part they play:

- ``facilitator`` runs the community (not seated in its circle);
- ``circle_member`` sits in the circle with ``mate``;
- ``member`` belongs to the community but to no circle;
- ``outsider`` belongs only to another community.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import AuthActions, post_form

ROLES = ("facilitator", "circle_member", "member", "outsider", "anonymous")


@dataclass
class World:
    users: dict[str, Any]
    community_id: int
    other_community_id: int
    invite_code: str
    circle_id: int
    community: Any  # the detached Community row, for factories that take one

    def email(self, who: str) -> str:
        return str(self.users[who].email)

    def id(self, who: str) -> int:
        return int(self.users[who].id)


def build_world(make_user: Callable[..., Any], make_community: Callable[..., Any],
                make_circle: Callable[..., Any]) -> World:
    users = {
        "facilitator": make_user(display_name="Fay Facilitator", organisation="Acme",
                                 department="People"),
        "circle_member": make_user(display_name="Cora Circle", organisation="Acme",
                                   department="Platform"),
        "mate": make_user(display_name="Milo Mate", organisation="Globex", department="Sales"),
        "member": make_user(display_name="Mona Member", organisation="Initech",
                            department="Finance"),
        "candidate": make_user(display_name="Cal Candidate", organisation="Initech",
                               department="Legal"),
        "outsider": make_user(display_name="Otto Outsider"),
        "other_facilitator": make_user(display_name="Olga Other"),
    }
    community = make_community(
        users["facilitator"], name="Peer Circles 2025",
        members=[users[k] for k in ("circle_member", "mate", "member", "candidate")],
    )
    other = make_community(users["other_facilitator"], name="Elsewhere",
                           members=[users["outsider"]])
    circle = make_circle(community, [users["circle_member"], users["mate"]], name="Cora & Milo")
    return World(users, community.id, other.id, community.invite_code, circle.id, community)


def log_in_as(auth: AuthActions, world: World, who: str) -> None:
    if who != "anonymous":
        response = auth.login(world.email(who))
        assert response.status_code == 302, response.get_data(as_text=True)


def request_as(client: FlaskClient, method: str, url: str,
               data: dict[str, Any] | None = None, *, anonymous: bool = False) -> TestResponse:
    """GET, or POST with a CSRF token taken from a page the requester can see."""
    if method == "GET":
        return client.get(url)
    return post_form(client, url, data or {}, page="/login" if anonymous else "/")


def assert_outcome(response: TestResponse, expected: int | str) -> None:
    """``expected`` is a status code, or "login" for a redirect to the log-in page."""
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:2000]
