"""Goals, progress check-ins, the circle page's goals panel and My commitments."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import orm
from circles.growth import commitments, goals
from circles.models import Circle, CircleGoal, Commitment, GoalCheckin, User, as_utc, utcnow
from circles.models.notifications import Notification
from tests.conftest import AuthActions, post_form
from tests.support.goals_cast import Cast, build_cast

TODAY = date.today()


@pytest.fixture
def cast(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Cast:
    return build_cast(app, make_user, make_community, make_circle)


def user(cast: Cast, who: str) -> User:
    return orm.session.get_one(User, cast.id(who))


def checkin_count() -> int:
    return orm.session.scalar(select(func.count()).select_from(GoalCheckin)) or 0


def add_goal(cast: Cast, who: str = "ana", text: str = "Each of us gives a talk") -> CircleGoal:
    circle = orm.session.get_one(Circle, cast.pair_id)
    goal = goals.add_circle_goal(orm.session, user(cast, who), circle, text=text,
                                 target_date=TODAY + timedelta(days=60))
    orm.session.commit()
    return goal


@pytest.mark.parametrize(("rating", "line", "field"), [
    (0, "", "rating"), (6, "", "rating"), ("", "", "rating"), ("four", "", "rating"),
    (3, "x" * 301, "line"),
])
def test_check_in_refuses_bad_input_and_saves_nothing(
        db: Any, cast: Cast, rating: object, line: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        goals.check_in(db, user(cast, "ana"), kind="criterion", goal_id=cast.shared_id,
                       rating=rating, line=line)
    assert field in caught.value.errors
    db.rollback()
    assert checkin_count() == 0


def test_check_in_is_stamped_now_and_follows_sharing(db: Any, cast: Cast) -> None:
    before = utcnow()
    shared = goals.check_in(db, user(cast, "ana"), kind="criterion", goal_id=cast.shared_id,
                            rating="4", line="  Ran   one review  ")
    kept_back = goals.check_in(db, user(cast, "ana"), kind="criterion", goal_id=cast.shared_id,
                               rating=2, private=True)
    private = goals.check_in(db, user(cast, "ana"), kind="criterion", goal_id=cast.private_id,
                             rating=5)
    db.commit()
    assert (shared.visibility, kept_back.visibility, private.visibility) == (
        "circle", "private", "private")
    assert shared.line == "Ran one review" and shared.rating == 4
    assert as_utc(shared.created_at) >= before and shared.goal_kind == "criterion"
    # The newest check-in others may see skips the one Ana kept to herself.
    criterion = db.get(goals.SuccessCriterion, cast.shared_id)
    latest = goals.shared_latest(db, criterion)
    assert latest is not None and latest.id == shared.id
    assert [c.rating for c in goals.criterion_series(db, criterion)] == [4, 2]


def test_nobody_checks_in_on_someone_elses_goal(db: Any, cast: Cast) -> None:
    goal = add_goal(cast)
    with pytest.raises(NotFound):
        goals.check_in(db, user(cast, "ben"), kind="criterion", goal_id=cast.shared_id, rating=3)
    for outsider in ("cara", "fay"):
        with pytest.raises(NotFound):
            goals.check_in(db, user(cast, outsider), kind="circle", goal_id=goal.id, rating=3)
    with pytest.raises(NotFound):
        goals.check_in(db, user(cast, "ana"), kind="team", goal_id=goal.id, rating=3)


def test_closed_circles_and_goals_take_no_check_ins(db: Any, cast: Cast) -> None:
    goal = add_goal(cast)
    goals.close_circle_goal(db, user(cast, "ben"), goal)
    db.commit()
    with pytest.raises(Conflict, match="goal is closed"):
        goals.check_in(db, user(cast, "ana"), kind="circle", goal_id=goal.id, rating=3)
    open_goal = add_goal(cast, text="Meet monthly")
    db.get_one(Circle, cast.pair_id).closed_at = utcnow()
    db.commit()
    with pytest.raises(Conflict, match="circle has closed"):
        goals.check_in(db, user(cast, "ana"), kind="circle", goal_id=open_goal.id, rating=3)
    with pytest.raises(Conflict, match="circle has closed"):
        add_goal(cast, text="One more")
    db.rollback()
    assert checkin_count() == 0


@pytest.mark.parametrize(("text", "target", "field"), [
    ("", 30, "text"), ("x" * 301, 30, "text"), ("Talks", 0, "target_date"),
    ("Talks", -3, "target_date"), ("Talks", None, "target_date"),
    ("Talks", 6 * 366, "target_date"),
])
def test_circle_goal_validation(db: Any, cast: Cast, text: str, target: int | None,
                                field: str) -> None:
    circle = db.get_one(Circle, cast.pair_id)
    when = None if target is None else TODAY + timedelta(days=target)
    with pytest.raises(InvalidInput) as caught:
        goals.add_circle_goal(db, user(cast, "ana"), circle, text=text, target_date=when)
    assert field in caught.value.errors


def test_circle_goal_check_in_tells_the_other_members(db: Any, cast: Cast) -> None:
    goal = add_goal(cast)
    goals.check_in(db, user(cast, "ana"), kind="circle", goal_id=goal.id, rating=3,
                   line="secret-ish detail")
    db.commit()
    notes = list(db.scalars(select(Notification).where(Notification.kind == "goal_checkin")))
    assert [n.user_id for n in notes] == [cast.id("ben")]
    assert "3/5" in notes[0].text and "secret-ish" not in notes[0].text


def test_chart_points_run_left_to_right_and_bottom_to_top(db: Any, cast: Cast) -> None:
    for rating in (1, 3, 5):
        goals.check_in(db, user(cast, "ana"), kind="criterion", goal_id=cast.shared_id,
                       rating=rating)
    db.commit()
    series = goals.criterion_series(db, db.get(goals.SuccessCriterion, cast.shared_id))
    points = goals.chart_points(series, width=240, height=60, pad=6)
    assert [p[0] for p in points] == sorted(p[0] for p in points)
    assert points[0][0] == 6 and points[-1][0] == 234
    assert [p[1] for p in points] == [54, 30, 6]  # rating 1 at the bottom, 5 at the top


# --- pages --------------------------------------------------------------------------------

def log_in(auth: AuthActions, cast: Cast, who: str) -> None:
    auth.login(cast.email(who))


def test_goals_page_check_in_round_trip(app: Flask, client: FlaskClient, auth: AuthActions,
                                        cast: Cast) -> None:
    log_in(auth, cast, "ana")
    url = f"/goals/criterion/{cast.shared_id}/checkin"
    prefix = f"criterion-{cast.shared_id}-"
    bad = post_form(client, url, {prefix + "rating": "9", prefix + "line": "kept"}, page="/goals")
    assert bad.status_code == 422
    assert "Choose a rating from 1 (stuck) to 5 (there)." in bad.get_data(as_text=True)
    good = post_form(client, url, {prefix + "rating": "4", prefix + "line": "Ran one"},
                     page="/goals")
    assert good.status_code == 302
    page = client.get("/goals").get_data(as_text=True)
    assert "Check-in recorded." in page and "Ran one" in page and "<svg" in page
    for url in (f"/goals/criterion/{cast.private_id + 100}/checkin", "/goals/team/1/checkin"):
        assert post_form(client, url, {"rating": "3"}, page="/goals").status_code == 404


def test_check_in_on_a_closed_circle_explains_why(app: Flask, client: FlaskClient,
                                                   auth: AuthActions, cast: Cast) -> None:
    with app.app_context():
        goal_id = add_goal(cast).id
        orm.session.get_one(Circle, cast.pair_id).closed_at = utcnow()
        orm.session.commit()
    log_in(auth, cast, "ana")
    p = f"circle-{goal_id}-"
    response = post_form(client, f"/goals/circle/{goal_id}/checkin", {p + "rating": "3"},
                         page="/goals")
    assert response.status_code == 422
    assert "This circle has closed" in response.get_data(as_text=True)
    with app.app_context():
        assert checkin_count() == 0


def test_circle_page_shows_only_what_members_share(app: Flask, client: FlaskClient,
                                                   auth: AuthActions, cast: Cast) -> None:
    with app.app_context():
        goals.check_in(orm.session, user(cast, "ana"), kind="criterion", goal_id=cast.shared_id,
                       rating=4, line="Shared progress line")
        goals.check_in(orm.session, user(cast, "ana"), kind="criterion", goal_id=cast.shared_id,
                       rating=1, line="Kept-back line", private=True)
        goals.check_in(orm.session, user(cast, "ana"), kind="criterion",
                       goal_id=cast.private_id, rating=2, line="Private goal line")
        add_goal(cast, text="Each of us gives a talk")
        orm.session.commit()
    log_in(auth, cast, "ben")
    page = client.get(f"/circles/{cast.pair_id}").get_data(as_text=True)
    assert "Lead a design review" in page and "Shared progress line" in page
    assert "Each of us gives a talk" in page
    for secret in ("Ask for a raise", "Kept-back line", "Private goal line"):
        assert secret not in page
    auth.logout()
    log_in(auth, cast, "fay")  # facilitator: sees the circle, not the members' goals
    page = client.get(f"/circles/{cast.pair_id}").get_data(as_text=True)
    assert "Lead a design review" not in page and "Each of us gives a talk" not in page
    auth.logout()
    log_in(auth, cast, "cara")
    assert client.get(f"/circles/{cast.pair_id}").status_code == 404
    assert client.get(f"/circles/{cast.pair_id}/goals/new").status_code == 404


def test_sharing_toggle_and_other_members_cannot_toggle(app: Flask, client: FlaskClient,
                                                        auth: AuthActions, cast: Cast) -> None:
    log_in(auth, cast, "ben")
    assert post_form(client, f"/goals/criterion/{cast.private_id}/share",
                     page="/goals").status_code == 404
    auth.logout()
    log_in(auth, cast, "ana")
    assert post_form(client, f"/goals/criterion/{cast.private_id}/share",
                     page="/goals").status_code == 302
    with app.app_context():
        assert orm.session.get_one(goals.SuccessCriterion, cast.private_id).shared is True


def test_new_circle_goal_page(app: Flask, client: FlaskClient, auth: AuthActions,
                              cast: Cast) -> None:
    log_in(auth, cast, "ben")
    url = f"/circles/{cast.pair_id}/goals/new"
    past = (TODAY - timedelta(days=1)).isoformat()
    bad = post_form(client, url, {"text": "Talks", "target_date": past})
    assert bad.status_code == 422 and "Pick a date after today." in bad.get_data(as_text=True)
    future = (TODAY + timedelta(days=30)).isoformat()
    assert post_form(client, url, {"text": "Talks", "target_date": future}).status_code == 302
    with app.app_context():
        assert orm.session.scalar(select(func.count()).select_from(CircleGoal)) == 1


# --- My commitments -----------------------------------------------------------------------

def commit_to(cast: Cast, who: str, text: str, due: int | None, status: str = "open") -> int:
    item = Commitment(circle_id=cast.pair_id if who in ("ana", "ben") else cast.other_id,
                      session_id=cast.pair_session_id if who in ("ana", "ben")
                      else cast.other_session_id, user_id=cast.id(who), text=text,
                      due_on=None if due is None else TODAY + timedelta(days=due), status=status)
    orm.session.add(item)
    orm.session.commit()
    return item.id


@pytest.mark.parametrize(("due", "status", "pile"), [
    (-1, "open", "overdue"), (0, "open", "due_soon"), (7, "open", "due_soon"),
    (8, "open", "open"), (None, "open", "open"), (-5, "kept", "done"), (3, "missed", "done"),
])
def test_commitment_piles(due: int | None, status: str, pile: str) -> None:
    item = Commitment(text="x", status=status,
                      due_on=None if due is None else TODAY + timedelta(days=due))
    assert commitments.pile(item, TODAY) == pile


def test_my_commitments_across_circles_and_only_mine(db: Any, cast: Cast) -> None:
    late = commit_to(cast, "ana", "Send the deck", -2)
    soon = commit_to(cast, "ana", "Book the room", 3)
    done = commit_to(cast, "ana", "Read the book", -9, status="kept")
    commit_to(cast, "ben", "Ben's own", 1)
    board = commitments.my_commitments(db, user(cast, "ana"), TODAY)
    assert [c.id for c in board.overdue] == [late] and [c.id for c in board.due_soon] == [soon]
    assert [c.id for c in board.done] == [done] and board.total == 3
    assert board.circle_names == {cast.pair_id: "Ana & Ben"}


def test_update_commitment_rules(db: Any, cast: Cast) -> None:
    late = commit_to(cast, "ana", "Send the deck", -2)
    with pytest.raises(NotFound):
        commitments.update_commitment(db, user(cast, "ben"), late, status="kept",
                                      reflection="", due_on=None, today=TODAY)
    with pytest.raises(InvalidInput) as caught:
        commitments.update_commitment(db, user(cast, "ana"), late, status="won",
                                      reflection="r" * 501,
                                      due_on=TODAY - timedelta(days=1), today=TODAY)
    assert set(caught.value.errors) == {"status", "reflection", "due_on"}
    db.rollback()
    # keeping the old (past) date is fine; moving it to a new future date too
    item = commitments.update_commitment(db, user(cast, "ana"), late, status="open",
                                         reflection="", due_on=TODAY - timedelta(days=2),
                                         today=TODAY)
    item = commitments.update_commitment(db, user(cast, "ana"), late, status="partly",
                                         reflection=" Half of it ",
                                         due_on=TODAY + timedelta(days=4), today=TODAY)
    db.commit()
    assert (item.status, item.reflection, item.due_on) == (
        "partly", "Half of it", TODAY + timedelta(days=4))


def test_commitments_page(app: Flask, client: FlaskClient, auth: AuthActions,
                          cast: Cast) -> None:
    with app.app_context():
        late = commit_to(cast, "ana", "Send the deck", -2)
        bens = commit_to(cast, "ben", "Ben's private plan", 2)
    log_in(auth, cast, "ana")
    page = client.get("/commitments").get_data(as_text=True)
    assert "Send the deck" in page and "Ben&#39;s private plan" not in page
    p = f"c{late}-"
    past = (TODAY - timedelta(days=1)).isoformat()
    bad = post_form(client, f"/commitments/{late}",
                    {p + "status": "kept", p + "reflection": "", p + "due_on": past},
                    page="/commitments")
    assert bad.status_code == 422
    assert "That date has passed; pick today or a later date." in bad.get_data(as_text=True)
    with app.app_context():
        assert orm.session.get_one(Commitment, late).status == "open"  # nothing half-saved
    ok = post_form(client, f"/commitments/{late}",
                   {p + "status": "kept", p + "reflection": "Sent it", p + "due_on": ""},
                   page="/commitments")
    assert ok.status_code == 302
    page = client.get("/commitments").get_data(as_text=True)
    assert "Commitment marked kept." in page and "Sent it" in page
    assert post_form(client, f"/commitments/{bens}", {f"c{bens}-status": "kept"},
                     page="/commitments").status_code == 404
