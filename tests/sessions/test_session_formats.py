"""Choosing a session's format when planning it, and a clearness committee's write-up: its
focus person rotates across the series, sends a write-up ahead, and the circle reads it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.extensions import orm
from circles.models import CircleSession
from tests.conftest import AuthActions, post_form
from tests.sessions.test_sessions_views import Cast, plan, sessions_of


@pytest.fixture
def cast(make_user: Any, make_community: Any, make_circle: Any) -> Cast:
    """Ana, Ben and Cy in one circle (ids in that order)."""
    users = {k: make_user(display_name=k.capitalize()) for k in ("ana", "ben", "cy")}
    community = make_community(users["ana"], members=[users["ben"], users["cy"]])
    trio = make_circle(community, list(users.values()), name="Trio")
    return Cast({k: u.id for k, u in users.items()}, {k: u.email for k, u in users.items()},
                trio.id, 0, 0)


def test_the_planning_form_offers_each_format_and_plans_in_the_one_chosen(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    auth.login(cast.emails["ana"])
    form = client.get(f"/circles/{cast.trio}/sessions/new").get_data(as_text=True)
    for name in ("Wise Crowds", "Troika Consulting", "Clearness committee",
                 "Action learning set"):
        assert name in form
    assert plan(client, cast.trio, format="wise_crowds").status_code == 302
    [session] = sessions_of(app, cast.trio)
    assert session.format == "wise_crowds" and session.focus_person_id is None
    page = client.get(f"/circles/{cast.trio}").get_data(as_text=True)
    assert "Format: <strong>Wise Crowds</strong>" in page


def test_an_unknown_format_is_refused_in_words_and_nothing_is_planned(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    auth.login(cast.emails["ana"])
    response = plan(client, cast.trio, format="fishbowl")
    assert response.status_code == 422
    assert "Choose a format: Our circle&#39;s phases, Wise Crowds" in response.get_data(
        as_text=True)
    assert sessions_of(app, cast.trio) == []


def test_clearness_focus_people_rotate_and_the_focus_person_sends_a_writeup(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    auth.login(cast.emails["ana"])
    plan(client, cast.trio, format="clearness", cadence="weekly", count="3")
    planned = sessions_of(app, cast.trio)
    assert [s.focus_person_id for s in planned] == sorted(
        cast.ids[n] for n in ("ana", "ben", "cy"))
    first = planned[0]
    circle_page = f"/circles/{cast.trio}"
    # Ana is the first focus person: her form is on the circle page.
    assert f'action="/sessions/{first.id}/writeup"' in client.get(circle_page).get_data(
        as_text=True)
    empty = post_form(client, f"/sessions/{first.id}/writeup", {"writeup": "  "},
                      page=circle_page, follow_redirects=True)
    assert "Write a few lines about what you bring." in empty.get_data(as_text=True)
    post_form(client, f"/sessions/{first.id}/writeup",
              {"writeup": "Should I take the team lead role?"}, page=circle_page)
    auth.logout()
    auth.login(cast.emails["ben"])
    page = client.get(circle_page).get_data(as_text=True)
    assert "Should I take the team lead role?" in page
    assert f'action="/sessions/{first.id}/writeup"' not in page  # only Ana writes it
    refused = post_form(client, f"/sessions/{first.id}/writeup", {"writeup": "Mine now"},
                        page=circle_page, follow_redirects=True)
    assert "Only the focus person of a clearness committee" in refused.get_data(as_text=True)
    with app.app_context():
        assert orm.session.get_one(CircleSession, first.id).writeup == (
            "Should I take the team lead role?")


def test_planning_in_the_circles_own_format_stays_the_default(
        app: Flask, client: FlaskClient, auth: AuthActions, cast: Cast) -> None:
    auth.login(cast.emails["ana"])
    plan(client, cast.trio)
    assert [s.format for s in sessions_of(app, cast.trio)] == ["circle"]
