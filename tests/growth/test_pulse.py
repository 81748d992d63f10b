"""Pulse checks: when they are due, what is saved, health aggregates, at-risk detection and privacy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.communities.circle import leave_circle
from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import orm
from circles.growth import pulse
from circles.models import Attendance, Circle, CircleSession, Notification, Pulse, User, utcnow
from tests.conftest import AuthActions, post_form


@pytest.fixture
def people(make_user: Any, make_community: Any, make_circle: Any) -> dict[str, Any]:
    """A facilitator; a pair (ann, ben); a group of three (cat, dan, eve); an outsider."""
    users = {name: make_user(display_name=name.title())
             for name in ("fay", "ann", "ben", "cat", "dan", "eve", "otto")}
    community = make_community(users["fay"], name="Cohort",
                               members=[users[n] for n in ("ann", "ben", "cat", "dan", "eve")])
    make_community(users["otto"], name="Elsewhere")
    users["pair"] = make_circle(community, [users["ann"], users["ben"]], name="Ann & Ben")
    users["group"] = make_circle(community, [users["cat"], users["dan"], users["eve"]],
                                 name="Trio")
    users["community"] = community
    return users


def held(db: Session, circle_id: int, ended: datetime, attendees: list[int]) -> CircleSession:
    """An ended session of ``circle_id`` that ``attendees`` came to."""
    session = CircleSession(circle_id=circle_id, starts_at=ended - timedelta(hours=1),
                            status="ended", started_at=ended - timedelta(hours=1), ended_at=ended)
    db.add(session)
    db.flush()
    db.add_all(Attendance(session_id=session.id, user_id=uid) for uid in attendees)
    db.flush()
    return session


def age(db: Session, circle: Circle, days: int) -> None:
    """Pretend the circle and its members' seats began ``days`` ago."""
    circle.created_at = utcnow() - timedelta(days=days)
    for seat in circle.seats:
        seat.joined_at = circle.created_at
    db.flush()


def rows(db: Session, who: User, name: str, people: dict[str, Any]) -> tuple[User, Circle]:
    return db.get_one(User, people[who].id), db.get_one(Circle, people[name].id)


def pulse_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Pulse)) or 0


# --- recording --------------------------------------------------------------------------------

@pytest.mark.parametrize(("score", "comment", "field"), [
    (None, "", "score"), (0, "", "score"), (6, "", "score"), ("3", "", "score"),
    (True, "", "score"), (3, "x" * 501, "comment"),
])
def test_bad_answers_are_refused_beside_the_field(db: Session, people: dict[str, Any],
                                                  score: object, comment: str, field: str) -> None:
    user, circle = rows(db, "ann", "pair", people)
    with pytest.raises(InvalidInput) as caught:
        pulse.record_pulse(db, user, circle, score=score, comment=comment)
    assert set(caught.value.errors) == {field}
    assert pulse_count(db) == 0


def test_only_current_members_answer_and_closed_circles_take_no_more(
        db: Session, people: dict[str, Any]) -> None:
    fay, pair = rows(db, "fay", "pair", people)
    with pytest.raises(NotFound):
        pulse.record_pulse(db, fay, pair, score=3)
    ann = db.get_one(User, people["ann"].id)
    pair.closed_at = utcnow()
    with pytest.raises(Conflict, match="closed"):
        pulse.record_pulse(db, ann, pair, score=3)
    assert pulse_count(db) == 0


# --- when a pulse is due ----------------------------------------------------------------------

def test_due_after_an_attended_session_then_monthly(db: Session, people: dict[str, Any]) -> None:
    ann, pair = rows(db, "ann", "pair", people)
    ben = db.get_one(User, people["ben"].id)
    now = utcnow()
    assert pulse.pulse_due(db, ann, now) == []  # just joined, no session yet
    session = held(db, pair.id, now - timedelta(hours=2), [ann.id])
    assert [(d.circle.id, d.session) for d in pulse.pulse_due(db, ann, now)] == [(pair.id, session)]
    assert pulse.pulse_due(db, ben, now) == []  # ben did not come: no after-session pulse
    answer = pulse.record_pulse(db, ann, pair, score=4, comment="Good start", now=now)
    assert answer.session_id == session.id
    assert pulse.pulse_due(db, ann, now) == []
    later = now + timedelta(days=31)
    monthly = pulse.pulse_due(db, ann, later)
    assert [(d.circle.id, d.session) for d in monthly] == [(pair.id, None)]
    assert [d.session for d in pulse.pulse_due(db, ben, later)] == [None]


# --- health aggregates ------------------------------------------------------------------------

def test_health_of_a_pair_never_shows_scores(db: Session, people: dict[str, Any]) -> None:
    ann, pair = rows(db, "ann", "pair", people)
    ben = db.get_one(User, people["ben"].id)
    for user, score in ((ann, 5), (ben, 1), (ann, 5)):
        pulse.record_pulse(db, user, pair, score=score)
    health = pulse.circle_health(db, pair)
    assert health["count"] is None and health["mean"] is None
    assert health["at_risk"] is False


def test_group_mean_only_once_three_people_answered(db: Session, people: dict[str, Any]) -> None:
    cat, trio = rows(db, "cat", "group", people)
    dan, eve = db.get_one(User, people["dan"].id), db.get_one(User, people["eve"].id)
    pulse.record_pulse(db, cat, trio, score=1)
    pulse.record_pulse(db, cat, trio, score=4)  # replaces her first answer: counted once
    pulse.record_pulse(db, dan, trio, score=2)
    health = pulse.circle_health(db, trio)
    assert (health["count"], health["mean"]) == (2, None)  # two people: a mean would tell
    pulse.record_pulse(db, eve, trio, score=5)
    health = pulse.circle_health(db, trio)
    assert (health["count"], health["mean"]) == (3, 3.7)
    assert "comment" not in str(health) and "user" not in str(health)


# --- at-risk detection ------------------------------------------------------------------------

def test_two_low_rounds_in_a_row_flag_the_circle(db: Session, people: dict[str, Any]) -> None:
    cat, trio = rows(db, "cat", "group", people)
    dan = db.get_one(User, people["dan"].id)
    start = utcnow() - timedelta(days=20)
    first = held(db, trio.id, start, [cat.id, dan.id, people["eve"].id])
    pulse.record_pulse(db, cat, trio, score=1, now=start + timedelta(hours=1))
    pulse.record_pulse(db, dan, trio, score=3, now=start + timedelta(hours=2))
    assert pulse.at_risk(db, trio, utcnow()) == []  # one low round (mean 2) is not a pattern
    second = held(db, trio.id, start + timedelta(days=7), [cat.id, dan.id, people["eve"].id])
    pulse.record_pulse(db, cat, trio, score=2, now=start + timedelta(days=7, hours=1))
    pulse.record_pulse(db, dan, trio, score=2, now=start + timedelta(days=7, hours=2))
    assert {p.session_id for p in db.scalars(select(Pulse))} == {first.id, second.id}
    assert pulse.at_risk(db, trio, utcnow()) == [
        "The last two pulse rounds were low (2 or under on average)."]
    third = held(db, trio.id, start + timedelta(days=14), [cat.id, dan.id, people["eve"].id])
    pulse.record_pulse(db, cat, trio, score=4, now=start + timedelta(days=14, hours=1))
    assert third.id and pulse.at_risk(db, trio, utcnow()) == []  # it recovered


def test_a_member_absent_twice_running_flags_the_circle(db: Session,
                                                       people: dict[str, Any]) -> None:
    ann, pair = rows(db, "ann", "pair", people)
    age(db, pair, 30)
    now = utcnow()
    held(db, pair.id, now - timedelta(days=14), [ann.id, people["ben"].id])
    held(db, pair.id, now - timedelta(days=7), [ann.id])
    assert pulse.at_risk(db, pair, now) == []  # one absence is life
    held(db, pair.id, now - timedelta(days=1), [ann.id])
    assert pulse.at_risk(db, pair, now) == ["A member has missed the last two sessions."]


def test_no_session_for_45_days_flags_the_circle(db: Session, people: dict[str, Any]) -> None:
    ann, pair = rows(db, "ann", "pair", people)
    now = utcnow()
    assert pulse.at_risk(db, pair, now + timedelta(days=44)) == []
    assert pulse.at_risk(db, pair, now + timedelta(days=46)) == ["No session for 46 days."]
    held(db, pair.id, now + timedelta(days=40), [ann.id, people["ben"].id])
    assert pulse.at_risk(db, pair, now + timedelta(days=46)) == []
    pair.closed_at = now
    assert pulse.at_risk(db, pair, now + timedelta(days=200)) == []  # closed: nothing to save


def test_facilitators_are_told_once_per_reason(db: Session, people: dict[str, Any]) -> None:
    ann, pair = rows(db, "ann", "pair", people)
    later = utcnow() + timedelta(days=50)
    assert pulse.notify_at_risk(db, pair, later) == 1
    assert pulse.notify_at_risk(db, pair, later + timedelta(days=1)) == 0
    notes = list(db.scalars(select(Notification)))
    assert [(n.user_id, n.kind) for n in notes] == [(people["fay"].id, "at_risk")]
    assert "Ann & Ben" in notes[0].text and "No session for 50 days" in notes[0].text
    # A session, then quiet again: a new episode, told again.
    held(db, pair.id, later + timedelta(days=2), [ann.id, people["ben"].id])
    # (and the trio, quiet since it was formed, for the first time)
    assert pulse.notify_all_at_risk(db, later + timedelta(days=60)) == 2


# --- the web ----------------------------------------------------------------------------------

def log_in(auth: AuthActions, people: dict[str, Any], who: str) -> None:
    assert auth.login(people[who].email).status_code == 302


def test_member_answers_and_only_they_read_it(app: Flask, client: FlaskClient, auth: AuthActions,
                                               people: dict[str, Any]) -> None:
    url = f"/circles/{people['group'].id}/pulse"
    log_in(auth, people, "cat")
    bad = post_form(client, url, {"score": "9", "comment": "x"})
    assert bad.status_code == 422
    assert "Choose a score from 1" in bad.get_data(as_text=True)
    ok = post_form(client, url, {"score": "2", "comment": "Dan dominates every session"})
    assert ok.status_code == 302
    with app.app_context():
        answer = orm.session.scalars(select(Pulse)).one()
        assert (answer.user_id, answer.score) == (people["cat"].id, 2)
    mine = client.get(f"/pulses/{answer.id}")
    assert mine.status_code == 200 and "Dan dominates" in mine.get_data(as_text=True)
    assert "Dan dominates" not in client.get(url).get_data(as_text=True)  # listed: score only
    for who in ("fay", "dan", "otto"):
        auth.logout()
        log_in(auth, people, who)
        assert client.get(f"/pulses/{answer.id}").status_code == 404, who
        assert client.get(f"/pulses/{answer.id}",
                          headers={"Accept": "application/json"}).status_code == 404


@pytest.mark.parametrize("who", ["fay", "ann", "otto"])
def test_non_members_get_404_for_the_pulse_form(client: FlaskClient, auth: AuthActions,
                                                people: dict[str, Any], who: str) -> None:
    log_in(auth, people, who)
    url = f"/circles/{people['group'].id}/pulse"
    assert client.get(url).status_code == 404
    assert post_form(client, url, {"score": "3"}, page="/").status_code == 404


def test_dashboard_prompts_after_a_session(app: Flask, client: FlaskClient, auth: AuthActions,
                                           people: dict[str, Any]) -> None:
    log_in(auth, people, "ann")
    assert "Is your circle working for you?" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        held(orm.session, people["pair"].id, utcnow() - timedelta(hours=1), [people["ann"].id])
        orm.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Is your circle working for you?" in page
    assert f"/circles/{people['pair'].id}/pulse" in page
    circle_page = client.get(f"/circles/{people['pair'].id}").get_data(as_text=True)
    assert "Answer the pulse check" in circle_page


def test_facilitator_sees_flag_and_aggregates_but_no_answers(
        app: Flask, client: FlaskClient, auth: AuthActions, people: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session
        ids = [people[n].id for n in ("cat", "dan", "eve")]
        start = utcnow() - timedelta(days=10)
        for day in (0, 7):
            held(db, people["group"].id, start + timedelta(days=day), ids)
            for uid, score in zip(ids, (1, 2, 3), strict=True):
                pulse.record_pulse(db, db.get_one(User, uid), db.get_one(Circle, people["group"].id),
                                   score=score, comment=f"secret-{uid}-{day}",
                                   now=start + timedelta(days=day, hours=1))
        db.commit()
    log_in(auth, people, "fay")
    page = client.get(f"/communities/{people['community'].id}").get_data(as_text=True)
    assert "Circles that may be at risk" in page
    assert "The last two pulse rounds were low" in page
    assert "pulse 2.0 / 5 from 6 answers" in page
    assert "secret-" not in page
    circle_page = client.get(f"/circles/{people['group'].id}").get_data(as_text=True)
    assert "may be at risk" in circle_page and "secret-" not in circle_page
    auth.logout()
    log_in(auth, people, "ann")  # a member of the community, not its facilitator
    page = client.get(f"/communities/{people['community'].id}").get_data(as_text=True)
    assert "Circles that may be at risk" not in page
    auth.logout()
    log_in(auth, people, "cat")  # a member of the trio sees the suggestions, not the mean
    circle_page = client.get(f"/circles/{people['group'].id}").get_data(as_text=True)
    assert "Swap roles" in circle_page and "2.0 / 5" not in circle_page


def test_cli_tells_facilitators_once(app: Flask, people: dict[str, Any]) -> None:
    with app.app_context():
        circle = orm.session.get_one(Circle, people["pair"].id)
        circle.created_at = utcnow() - timedelta(days=60)
        orm.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["pulse", "risks"])
    assert first.exit_code == 0, first.output
    assert "1 at-risk notification sent." in first.output
    assert "0 at-risk notifications sent." in runner.invoke(args=["pulse", "risks"]).output


def test_a_departure_flags_the_circle_without_its_reason(
        app: Flask, client: FlaskClient, auth: AuthActions, people: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session
        trio = db.get_one(Circle, people["group"].id)
        pair = db.get_one(Circle, people["pair"].id)
        age(db, trio, 20)
        age(db, pair, 20)
        held(db, trio.id, utcnow() - timedelta(days=2), [people[n].id for n in ("cat", "dan", "eve")])
        held(db, pair.id, utcnow() - timedelta(days=2), [people["ann"].id, people["ben"].id])
        assert pulse.at_risk(db, trio) == [] and pulse.at_risk(db, pair) == []
        leave_circle(db, trio, people["eve"].id, reason="eve-private-reason")
        leave_circle(db, pair, people["ben"].id, reason="ben-private-reason")
        assert pulse.at_risk(db, trio) == ["A member left in the last 30 days."]
        # One person is not a circle: the pair closed (issue 17), so it is no longer at risk.
        assert pair.closed_at is not None and pulse.at_risk(db, pair) == []
        db.commit()
    log_in(auth, people, "fay")
    page = client.get(f"/communities/{people['community'].id}").get_data(as_text=True)
    assert "A member left in the last 30 days" in page
    assert "private-reason" not in page
