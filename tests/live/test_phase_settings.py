"""The circle's session phases page: members skip or reorder phases; the next session follows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from circles.extensions import orm
from circles.live import phases
from circles.models import SessionPhase, User
from circles.models.live import PHASE_KINDS
from tests.conftest import AuthActions, post_form
from tests.support.live_room import Room, build_room

ADA, OLU = "member1@example.org", "member5@example.org"  # a member; same community, not a member


@pytest.fixture
def room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    return build_room(app, make_user, make_community, make_circle)


def url(room: Room) -> str:
    return f"/circles/{room.circle_id}/phases"


def form(order: list[str], **places: str) -> dict[str, str]:
    """The form as a browser sends it: a ticked box and a place for each kept phase."""
    data = {f"phases-{k}-place": "" for k in PHASE_KINDS}
    for n, kind in enumerate(order, start=1):
        data[f"phases-{kind}"] = "y"
        data[f"phases-{kind}-place"] = str(n)
    data.update({f"phases-{k}-place": v for k, v in places.items()})
    return data


def saved_order(app: Flask, room: Room) -> list[str]:
    with app.app_context():
        return phases.phase_order(orm.session, room.circle_id)


def test_a_member_sees_all_phases_kept_in_the_default_order(client: FlaskClient,
                                                           auth: AuthActions, room: Room) -> None:
    auth.login(ADA)
    page = client.get(url(room))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    kinds = re.findall(r'name="phases-(\w+)-place"[^>]*value="(\d*)"', html)
    assert kinds == [(k, str(n)) for n, k in enumerate(PHASE_KINDS, start=1)]
    assert html.count(" checked>") == len(PHASE_KINDS)
    circle = client.get(f"/circles/{room.circle_id}").get_data(as_text=True)
    assert "Each session runs: Check-in → Commitment review → Agenda" in circle
    assert f'href="{url(room)}">Skip or reorder phases</a>' in circle


def test_a_saved_order_is_used_by_the_next_session_started(app: Flask, client: FlaskClient,
                                                          auth: AuthActions, room: Room) -> None:
    auth.login(ADA)
    order = ["agenda", "checkin", "focus", "commitments", "close"]
    # Places need not be consecutive (1, 3, 4, 6, 7): only their order counts.
    sent = form(order, checkin="3", focus="4", commitments="6", close="7")
    sent["phases-review-place"] = "2"  # a number on an unticked phase is ignored
    saved = post_form(client, url(room), sent)
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/circles/{room.circle_id}#sessions")
    assert saved_order(app, room) == order
    circle = client.get(f"/circles/{room.circle_id}").get_data(as_text=True)
    assert "Each session runs: Agenda → Check-in → Focus rounds → Commitments → Close." in circle
    again = client.get(url(room)).get_data(as_text=True)
    shown = re.findall(r'name="phases-(\w+)-place"[^>]*value="(\d*)"', again)
    assert shown == [("agenda", "1"), ("checkin", "2"), ("focus", "3"), ("commitments", "4"),
                     ("close", "5"), ("review", ""), ("feedback", "")]
    with app.app_context():
        phases.start(orm.session, orm.session.get_one(User, room.ada), room.session_id)
        orm.session.commit()
        kinds = list(orm.session.scalars(select(SessionPhase.kind).where(
            SessionPhase.session_id == room.session_id).order_by(SessionPhase.position)))
    assert kinds == order


DEFAULT = list(PHASE_KINDS)


@pytest.mark.parametrize(("data", "message"), [
    (form(DEFAULT[:-1]), "Close must be the last phase."),  # close unticked
    (form(["checkin", "close", "commitments"]), "Close must be the last phase."),
    (form(["checkin", "focus", "agenda", "close"]),
     "Focus rounds need the agenda phase before them."),
    (form(["checkin", "focus", "close"]), "Focus rounds need the agenda phase before them."),
    (form([]), "Close must be the last phase."),
    (form(DEFAULT, checkin=""), "Give Check-in a place from 1 to 7."),
    (form(DEFAULT, review="8"), "Give Commitment review a place from 1 to 7."),
    (form(DEFAULT, agenda="two"), "Give Agenda a place from 1 to 7."),
    (form(DEFAULT, focus="2"), "Commitment review and Focus rounds both have place 2"),
])
def test_a_bad_order_is_explained_next_to_the_phases_and_nothing_is_saved(
        app: Flask, client: FlaskClient, auth: AuthActions, room: Room,
        data: dict[str, str], message: str) -> None:
    auth.login(ADA)
    page = post_form(client, url(room), data)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    errors = re.search(r'<div id="phases-error">(.*?)</div>', html, re.DOTALL)
    assert errors is not None and message in errors.group(1)
    assert 'aria-describedby="phases-error"' in html
    assert saved_order(app, room) == DEFAULT


def test_a_bad_order_keeps_what_was_typed(client: FlaskClient, auth: AuthActions,
                                          room: Room) -> None:
    auth.login(ADA)
    html = post_form(client, url(room), form(DEFAULT, agenda="two")).get_data(as_text=True)
    assert re.search(r'name="phases-agenda-place"[^>]*value="two"', html)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_non_member_gets_not_found_and_changes_nothing(app: Flask, client: FlaskClient,
                                                         auth: AuthActions, room: Room,
                                                         method: str) -> None:
    auth.login(OLU)
    if method == "GET":
        page = client.get(url(room))
    else:
        page = post_form(client, url(room), form(["agenda", "close"]), page="/")
    assert page.status_code == 404
    assert "Night owls" not in page.get_data(as_text=True)
    assert saved_order(app, room) == DEFAULT
    assert client.get(f"/circles/{room.circle_id + 1000}/phases").status_code == 404


def test_a_visitor_is_sent_to_log_in(client: FlaskClient, room: Room) -> None:
    page = client.get(url(room))
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]
