"""Renew or remix: at the end of a cycle each member privately chooses; a circle everyone
renews continues and formation keeps it intact, the others' members are formed anew."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities import renewal
from circles.communities.circle import create_circle
from circles.errors import Conflict, InvalidInput
from circles.extensions import orm
from circles.formation.plan import compute_run
from circles.formation.publish import publish
from circles.formation.start import pool_ids, start_run
from circles.live import phases as live
from circles.models import Circle, CircleMember, CircleSession, Notification, utcnow
from tests.support.formation_world import MONDAY_1700_UTC, community_with, person
from tests.support.live_room import NAMES, build_room
from tests.support.rounds import start, who


def held(db: Session, circle: Circle, count: int) -> None:
    """``count`` more ended sessions of the circle."""
    for n in range(count):
        db.add(CircleSession(circle_id=circle.id, status="ended",
                             starts_at=utcnow() - timedelta(days=30 - n)))
    db.flush()


@pytest.fixture
def trio(db: Session) -> tuple[Any, Any, Circle, list[Any]]:
    community, lead = community_with(db, "Renewing cohort")
    people = [person(db, community, f"Rena{i} Member", windows=MONDAY_1700_UTC)
              for i in range(3)]
    circle = create_circle(db, community, lead, name="Keepers",
                           member_ids=[p.id for p in people])
    renewal.set_cycle(db, circle, "2")
    db.flush()
    return community, lead, circle, people


@pytest.mark.parametrize(("typed", "problem"), [
    ("1", "Choose a cycle of 2 to 52 sessions"), ("53", "Choose a cycle of 2 to 52 sessions"),
    ("six", "Choose a cycle of 2 to 52 sessions")])
def test_a_cycle_is_2_to_52_sessions_or_none(db: Session, trio: Any, typed: str,
                                             problem: str) -> None:
    circle = trio[2]
    with pytest.raises(InvalidInput, match=problem):
        renewal.set_cycle(db, circle, typed)
    assert renewal.set_cycle(db, circle, "").cycle_sessions is None


def test_nobody_chooses_before_the_cycle_ends(db: Session, trio: Any) -> None:
    _, _, circle, people = trio
    held(db, circle, 1)
    assert not renewal.cycle_of(db, circle).due
    with pytest.raises(Conflict, match="cycle is not over yet"):
        renewal.choose(db, circle, people[0].id, "renew")


def test_when_everyone_renews_the_circle_continues(db: Session, trio: Any) -> None:
    _, _, circle, people = trio
    held(db, circle, 2)
    assert renewal.cycle_ended(db, circle)
    asked = db.scalars(select(Notification.user_id).where(Notification.kind == "renewal")).all()
    assert sorted(asked) == sorted(p.id for p in people)
    assert [renewal.choose(db, circle, p.id, "renew") for p in people] == [
        "waiting", "waiting", "renewed"]
    assert circle.renewed_at is not None and circle.closed_at is None
    cycle = renewal.cycle_of(db, circle)
    assert (cycle.number, cycle.held, cycle.due) == (2, 0, False)  # a fresh cycle
    held(db, circle, 2)
    assert renewal.cycle_of(db, circle).due


def test_one_remix_ends_the_circle_once_everyone_chose_and_says_nobodys_choice(
        db: Session, trio: Any) -> None:
    _, _, circle, people = trio
    held(db, circle, 2)
    assert renewal.choose(db, circle, people[0].id, "remix") == "waiting"
    assert circle.closed_at is None  # not before everyone chose: no guessing who
    assert renewal.choose(db, circle, people[1].id, "renew") == "waiting"
    assert renewal.choose(db, circle, people[2].id, "renew") == "remixed"
    assert circle.closed_at is not None and circle.renewed_at is None
    told = db.scalars(select(Notification.text).where(Notification.kind == "circle_change"))
    assert all(p.display_name not in text for text in told for p in people)
    assert renewal.my_choice(db, circle, people[0].id) == "remix"
    assert renewal.my_choice(db, circle, people[1].id) == "renew"


def test_formation_keeps_a_renewed_circle_intact(db: Session, trio: Any) -> None:
    community, lead, circle, people = trio
    others = [person(db, community, f"Other{i} Member", windows=MONDAY_1700_UTC)
              for i in range(6)]
    by_hand = create_circle(db, community, lead, name="By hand",
                            member_ids=[others[0].id, others[1].id])
    held(db, circle, 2)
    for p in people:
        renewal.choose(db, circle, p.id, "renew")
    assert set(pool_ids(db, community.id)) == {o.id for o in others}
    run = start_run(db, community, lead, min_size=2, max_size=3)
    compute_run(db, run.id, time_limit=0.3)
    formed = publish(db, run, round_no=1, others="close")
    seated = {s.user_id for c in formed for s in c.seats}
    assert seated == {o.id for o in others}
    assert circle.closed_at is None and by_hand.closed_at is not None
    assert sorted(db.scalars(select(CircleMember.user_id).where(
        CircleMember.circle_id == circle.id, CircleMember.left_at.is_(None)))) == sorted(
        p.id for p in people)


def test_a_remixed_circles_members_go_to_the_next_round(db: Session, trio: Any) -> None:
    community, _, circle, people = trio
    held(db, circle, 2)
    for choice, p in zip(("remix", "renew", "renew"), people, strict=True):
        renewal.choose(db, circle, p.id, choice)
    assert {p.id for p in people} <= set(pool_ids(db, community.id))


def test_the_session_that_completes_a_cycle_asks_everyone(app: Any, make_user: Any,
                                                          make_community: Any,
                                                          make_circle: Any) -> None:
    room = build_room(app, make_user, make_community, make_circle)
    with app.app_context():
        db = orm.session
        circle = db.get_one(Circle, room.circle_id)
        renewal.set_cycle(db, circle, "2")
        held(db, circle, 1)
        db.commit()
        start(db, room, room.session_id)
        live.end(db, who(db, room.ada), room.session_id)
        db.commit()
        asked = db.scalars(select(Notification.user_id).where(Notification.kind == "renewal"))
        assert sorted(asked) == sorted(room.ids[n] for n in NAMES)
