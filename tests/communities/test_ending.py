"""Ending well: call it a day with a private reason, re-group only by mutual consent, a place in
the next formation round, closing a circle with a reflection round. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.communities import ending
from circles.communities.circle import create_circle
from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import orm
from circles.formation.constraints import ended_pairs
from circles.formation.start import pool_ids
from circles.models import (
    Circle,
    CircleMember,
    CircleSession,
    Departure,
    Membership,
    Notification,
    User,
    utcnow,
)
from tests.conftest import AuthActions, post_form
from tests.support.formation_world import community_with, person
from tests.support.world import World, build_world, log_in_as


@pytest.fixture
def world(make_user: Any, make_community: Any, make_circle: Any) -> World:
    return build_world(make_user, make_community, make_circle)


@pytest.fixture
def trio(db: Any) -> tuple[Any, User, list[User], Circle]:
    """A community, its facilitator and a circle of three members."""
    community, lead = community_with(db)
    people = [person(db, community, name) for name in ("Ada One", "Ben Two", "Cy Three")]
    circle = create_circle(db, community, lead, name="Trio", member_ids=[p.id for p in people])
    db.flush()
    return community, lead, people, circle


def notes_of(db: Any, user_id: int) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user_id)))


def together_forbidden(db: Any, community_id: int, a: int, b: int) -> bool:
    return any((leaver == a and b in others) or (leaver == b and a in others)
               for leaver, others in ended_pairs(db, community_id))


# --- call it a day --------------------------------------------------------------------------

def test_leaving_a_pair_tells_the_other_gently_and_keeps_the_reason_private(db: Any) -> None:
    community, lead = community_with(db)
    ada, ben = person(db, community, "Ada One"), person(db, community, "Ben Two")
    pair = create_circle(db, community, lead, name="A & B", member_ids=[ada.id, ben.id])
    seat = ending.call_it_a_day(db, ada, pair, "  We never found a shared rhythm  ")

    assert seat.left_at is not None and seat.left_reason == ""  # not on the shared history
    assert db.scalar(select(Departure.reason).where(Departure.seat_id == seat.id)) == \
        "We never found a shared rhythm"
    [note] = notes_of(db, ben.id)
    assert note.kind == "circle_change" and "nobody is to blame" in note.text
    assert "rhythm" not in note.text and note.link == "/endings"
    assert notes_of(db, ada.id) == []
    assert [d.reason for d in ending.my_departures(db, ada)] == ["We never found a shared rhythm"]
    assert ending.my_departures(db, ben) == []


def test_leaving_a_group_tells_those_who_stay(db: Any, trio: Any) -> None:
    _, _, (ada, ben, cy), circle = trio
    ending.call_it_a_day(db, ada, circle)
    for other in (ben, cy):
        [note] = notes_of(db, other.id)
        assert "carries on" in note.text
    assert {s.user_id for s in circle.current_seats} == {ben.id, cy.id}


@pytest.mark.parametrize(("reason", "error"), [("r" * 501, InvalidInput), ("", None)])
def test_reason_is_optional_but_bounded(db: Any, trio: Any, reason: str,
                                        error: type[Exception] | None) -> None:
    _, _, (ada, _, _), circle = trio
    if error is None:
        assert ending.call_it_a_day(db, ada, circle, reason).left_at is not None
        return
    with pytest.raises(InvalidInput, match="under 500 characters") as caught:
        ending.call_it_a_day(db, ada, circle, reason)
    assert list(caught.value.errors) == ["reason"]
    assert ada.id in {s.user_id for s in circle.current_seats}  # nothing half-done


def test_only_a_current_member_can_leave_and_not_from_a_closed_circle(db: Any, trio: Any) -> None:
    _, _, (ada, ben, _), circle = trio
    ending.call_it_a_day(db, ada, circle)
    with pytest.raises(NotFound):
        ending.call_it_a_day(db, ada, circle)
    ending.close_circle(db, ben, circle)
    with pytest.raises(Conflict, match="already closed"):
        ending.call_it_a_day(db, ben, circle)


# --- the next formation round ---------------------------------------------------------------

def test_leaver_is_in_the_next_round_unless_they_ask_for_a_break(db: Any, trio: Any) -> None:
    community, _, (ada, ben, cy), circle = trio
    ending.call_it_a_day(db, ada, circle, rematch=True)
    ending.call_it_a_day(db, ben, circle, rematch=False)
    pool = pool_ids(db, community.id)
    assert ada.id in pool and cy.id in pool and ben.id not in pool
    ending.set_rematch(db, ben, community.id, True)
    assert ben.id in pool_ids(db, community.id)
    with pytest.raises(NotFound):
        ending.set_rematch(db, ben, community.id + 999, True)


def test_the_one_left_in_a_pair_is_offered_rematching(db: Any) -> None:
    community, lead = community_with(db)
    ada, ben = person(db, community, "Ada One"), person(db, community, "Ben Two")
    ending.set_rematch(db, ben, community.id, False)
    pair = create_circle(db, community, lead, name="", member_ids=[ada.id, ben.id])
    ending.call_it_a_day(db, ada, pair)
    assert ben.id in pool_ids(db, community.id)


# --- re-group consent -----------------------------------------------------------------------

def test_a_pair_that_ended_is_regrouped_only_when_both_opt_in(db: Any, trio: Any) -> None:
    community, _, (ada, ben, cy), circle = trio
    ending.call_it_a_day(db, ada, circle, "private")
    assert together_forbidden(db, community.id, ada.id, ben.id)
    assert together_forbidden(db, community.id, ada.id, cy.id)
    assert not together_forbidden(db, community.id, ben.id, cy.id)

    assert ending.set_regroup_consent(db, ada, circle.id, ben.id, True) is False
    assert together_forbidden(db, community.id, ada.id, ben.id)  # one side is not enough
    assert ending.set_regroup_consent(db, ben, circle.id, ada.id, True) is True
    assert not together_forbidden(db, community.id, ada.id, ben.id)
    assert together_forbidden(db, community.id, ada.id, cy.id)  # only that pair

    assert ending.set_regroup_consent(db, ben, circle.id, ada.id, False) is False  # withdrawn
    assert together_forbidden(db, community.id, ada.id, ben.id)


def test_consent_only_between_people_a_circle_ended_between(db: Any, trio: Any) -> None:
    community, _, (ada, ben, cy), circle = trio
    stranger = person(db, community, "Dee Four")
    with pytest.raises(NotFound):  # nobody left: nothing to consent to
        ending.set_regroup_consent(db, ben, circle.id, cy.id, True)
    ending.call_it_a_day(db, ada, circle)
    with pytest.raises(NotFound):
        ending.set_regroup_consent(db, ben, circle.id, cy.id, True)
    with pytest.raises(NotFound):
        ending.set_regroup_consent(db, stranger, circle.id, ada.id, True)
    ties = ending.ended_ties(db, ben)
    assert [(t.other.id, t.i_left, t.my_consent) for t in ties] == [(ada.id, False, False)]
    assert {(t.other.id, t.i_left) for t in ending.ended_ties(db, ada)} == \
        {(ben.id, True), (cy.id, True)}


# --- closing with a reflection round --------------------------------------------------------

def test_close_keeps_history_calls_off_future_sessions(db: Any, trio: Any) -> None:
    _, lead, (ada, ben, _), circle = trio
    now = utcnow()
    later = CircleSession(circle_id=circle.id, starts_at=now + timedelta(days=3))
    earlier = CircleSession(circle_id=circle.id, starts_at=now - timedelta(days=3), status="ended")
    db.add_all([later, earlier])
    db.flush()
    ending.close_circle(db, lead, circle, now=now)  # the facilitator may close it
    assert circle.closed_at == now
    assert (later.status, later.sequence) == ("cancelled", 1) and earlier.status == "ended"
    assert db.scalar(select(func.count()).select_from(CircleMember)
                     .where(CircleMember.circle_id == circle.id)) == 3
    assert together_forbidden(db, circle.community_id, ada.id, ben.id) is False
    with pytest.raises(Conflict, match="already closed"):
        ending.close_circle(db, ada, circle)


def test_an_outsider_cannot_close(db: Any, trio: Any) -> None:
    community, _, _, circle = trio
    with pytest.raises(NotFound):
        ending.close_circle(db, person(db, community, "Dee Four"), circle)


def test_reflections_are_for_the_circle_only(db: Any, trio: Any) -> None:
    _, lead, (ada, ben, cy), circle = trio
    ending.reflect(db, ada, circle, learned="To ask before advising", appreciated="")
    ending.reflect(db, ben, circle, learned="", appreciated="Cy's patience")
    ending.reflect(db, ada, circle, learned="To ask first", appreciated="Ben's stories")  # rewrite
    ending.close_circle(db, cy, circle)
    ending.reflect(db, cy, circle, learned="Rest matters", appreciated="")  # after close too
    rows = ending.reflections(db, ben, circle)
    assert [(r.user_id, r.learned, r.appreciated) for r in rows] == [
        (ada.id, "To ask first", "Ben's stories"), (ben.id, "", "Cy's patience"),
        (cy.id, "Rest matters", "")]
    with pytest.raises(NotFound):
        ending.reflections(db, lead, circle)  # facilitators do not read them
    with pytest.raises(NotFound):
        ending.reflect(db, lead, circle, learned="x", appreciated="")


@pytest.mark.parametrize(("learned", "appreciated", "field", "message"), [
    ("", "  ", "learned", "what you learned, what you appreciated"),
    ("l" * 1001, "", "learned", "under 1000"),
    ("ok", "a" * 1001, "appreciated", "under 1000"),
])
def test_reflection_validation(db: Any, trio: Any, learned: str, appreciated: str, field: str,
                               message: str) -> None:
    _, _, (ada, _, _), circle = trio
    with pytest.raises(InvalidInput, match=message) as caught:
        ending.reflect(db, ada, circle, learned=learned, appreciated=appreciated)
    assert list(caught.value.errors) == [field]


# --- pages ----------------------------------------------------------------------------------

def _seat_left(app: Flask, circle_id: int, user_id: int) -> bool:
    with app.app_context():
        return orm.session.scalar(select(CircleMember.left_at).where(
            CircleMember.circle_id == circle_id, CircleMember.user_id == user_id)) is not None


def test_leave_page_keeps_the_reason_from_facilitator_and_partner(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    log_in_as(auth, world, "circle_member")
    url = f"/circles/{world.circle_id}/leave"
    page = client.get(url).get_data(as_text=True)
    assert "Only you will ever see this" in page and "partner will be told" in page
    response = post_form(client, url, {"reason": "Too busy with the launch", "rematch": "y"})
    assert response.status_code == 302 and response.location.endswith("/endings")
    endings = client.get("/endings").get_data(as_text=True)
    assert "Too busy with the launch" in endings and "Milo Mate" in endings
    auth.logout()

    for who in ("facilitator", "mate"):
        log_in_as(auth, world, who)
        html = client.get(f"/circles/{world.circle_id}").get_data(as_text=True)
        assert "Cora Circle" in html and "Too busy with the launch" not in html
        if who == "mate":
            assert "Too busy" not in client.get("/endings").get_data(as_text=True)
            assert "call it a day" in client.get("/notifications").get_data(as_text=True)
        auth.logout()


def test_leave_page_errors_beside_the_field_and_strangers_get_404(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World) -> None:
    log_in_as(auth, world, "circle_member")
    url = f"/circles/{world.circle_id}/leave"
    response = post_form(client, url, {"reason": "r" * 501})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert not _seat_left(app, world.circle_id, world.id("circle_member"))
    auth.logout()
    for who in ("facilitator", "member"):
        log_in_as(auth, world, who)
        assert client.get(url).status_code == 404
        assert client.get(f"/circles/{world.circle_id}/closing").status_code == 404
        auth.logout()


def test_regroup_and_rematch_through_the_pages(app: Flask, client: FlaskClient, auth: AuthActions,
                                                world: World) -> None:
    log_in_as(auth, world, "circle_member")
    post_form(client, f"/circles/{world.circle_id}/leave", {"reason": ""})  # unchecked: a break
    with app.app_context():
        assert not orm.session.scalar(select(Membership.wants_rematch).where(
            Membership.user_id == world.id("circle_member"),
            Membership.community_id == world.community_id))
    response = post_form(client, f"/endings/rematch/{world.community_id}", {"wanted": "1"},
                         page="/endings", follow_redirects=True)
    assert "You are in the next formation round." in response.get_data(as_text=True)
    regroup = f"/endings/regroup/{world.circle_id}/{world.id('mate')}"
    response = post_form(client, regroup, {"wanted": "1"}, page="/endings", follow_redirects=True)
    assert "unless you both say yes" in response.get_data(as_text=True)
    auth.logout()
    log_in_as(auth, world, "mate")
    back = f"/endings/regroup/{world.circle_id}/{world.id('circle_member')}"
    response = post_form(client, back, {"wanted": "1"}, page="/endings", follow_redirects=True)
    assert "You are both open to it" in response.get_data(as_text=True)
    bogus = f"/endings/regroup/{world.circle_id}/{world.id('member')}"
    assert post_form(client, bogus, {"wanted": "1"}, page="/endings").status_code == 404


def test_closing_page_reflections_and_close(app: Flask, client: FlaskClient, auth: AuthActions,
                                            world: World) -> None:
    log_in_as(auth, world, "circle_member")
    closing = f"/circles/{world.circle_id}/closing"
    response = post_form(client, f"/circles/{world.circle_id}/reflection",
                         {"learned": "", "appreciated": ""}, page=closing)
    assert response.status_code == 422 and 'id="learned-error"' in response.get_data(as_text=True)
    post_form(client, f"/circles/{world.circle_id}/reflection",
              {"learned": "Listening first", "appreciated": "Milo's candour"}, page=closing)
    response = post_form(client, f"/circles/{world.circle_id}/close", page=closing,
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "is closed" in html and "Listening first" in html and "Milo&#39;s candour" in html
    with app.app_context():
        assert orm.session.get_one(Circle, world.circle_id).closed_at is not None
    assert post_form(client, f"/circles/{world.circle_id}/close", page=closing).status_code == 409
    auth.logout()
    log_in_as(auth, world, "facilitator")
    assert "Listening first" not in client.get(f"/circles/{world.circle_id}").get_data(as_text=True)
