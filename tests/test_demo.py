"""The demo community: loaded by the CLI, obeys the domain rules, and its logins work."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from circles.communities.circle import circles_of
from circles.demo import community as demo
from circles.errors import Conflict
from circles.extensions import db, orm
from circles.members.topics import topic_key
from circles.models import Circle, Community, Membership, Tie, Topic, User
from tests.conftest import post_form


def load(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["demo", "load", *args])


def count(model: Any, *where: Any) -> int:
    return orm.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_demo_load_builds_the_community_and_prints_logins(app: Flask, runner: Any) -> None:
    result = load(runner)
    assert result.exit_code == 0, result.output
    assert "Demo community loaded." in result.output
    assert f"facilitator@{demo.DEMO_DOMAIN}  password: {demo.DEMO_PASSWORD}" in result.output
    assert result.output.count("member ") == 2
    with app.app_context():
        users = list(orm.session.scalars(select(User)))
        assert 55 <= len(users) <= 65
        assert len({u.organisation for u in users}) == 4
        assert len({(u.organisation, u.department) for u in users}) == 12
        assert len({u.timezone for u in users}) >= 3
        community = orm.session.scalars(select(Community)).one()
        assert community.name == "Open Mentoring Circle (demo)" and community.description
        assert count(Membership) == len(users)
        assert count(Membership, Membership.role == "facilitator") == 2
        assert count(Circle) >= 5
        assert count(Circle, Circle.kind == "pair") >= 1 and count(Circle, Circle.kind == "group") >= 1
        assert count(Tie, Tie.source == "imported") >= 12 * 10  # everyone in a team of five
        assert count(Tie, Tie.source == "declared") >= 5
        assert count(Topic, Topic.community_id == community.id) >= 25


@pytest.mark.parametrize("backend", ["sqlite"])  # the rule is about the flag, not the database
def test_if_empty_loads_into_an_empty_database(app: Flask, runner: Any) -> None:
    result = load(runner, "--if-empty")
    assert result.exit_code == 0 and "Demo community loaded." in result.output
    with app.app_context():
        assert count(User) > 50


def test_if_empty_leaves_a_database_with_members_alone(app: Flask, runner: Any, make_user: Any) -> None:
    make_user(email="someone@example.org")
    result = load(runner, "--if-empty")
    assert result.exit_code == 0
    assert "Database already has members; demo not loaded." in result.output
    assert "password:" not in result.output
    with app.app_context():
        assert count(User) == 1 and count(Community) == 0


def test_loading_twice_is_refused_and_changes_nothing(app: Flask, runner: Any) -> None:
    assert load(runner).exit_code == 0
    with app.app_context():
        before = (count(User), count(Community), count(Circle), count(Tie))
    result = load(runner)
    assert result.exit_code == 1
    assert "The demo community is already loaded" in result.output
    with app.app_context():
        assert (count(User), count(Community), count(Circle), count(Tie)) == before
        with pytest.raises(Conflict, match="already loaded"):
            demo.load_demo(db())


def test_demo_logins_are_empty_without_the_demo(app: Flask, make_user: Any) -> None:
    make_user()
    with app.app_context():
        assert demo.demo_logins(db()) == []


def test_a_demo_member_logs_in_and_sees_their_circle(app: Flask, runner: Any, client: FlaskClient) -> None:
    assert load(runner).exit_code == 0
    with app.app_context():
        logins = demo.demo_logins(db())
        assert [role for _, _, role in logins] == ["facilitator", "member", "member"]
        email = logins[1][0]
        member = orm.session.scalars(select(User).where(User.email == email)).one()
        (circle,) = circles_of(db(), member.id)
        mates = [seat.user.display_name for seat in circle.current_seats if seat.user_id != member.id]
        assert logins[2][0] in {seat.user.email for seat in circle.current_seats}
    response = post_form(client, "/login", {"email": email, "password": logins[1][1]})
    assert response.status_code == 302
    dashboard = client.get("/").get_data(as_text=True)
    assert circle.name in dashboard
    page = client.get(f"/circles/{circle.id}")
    assert page.status_code == 200
    assert all(name in page.get_data(as_text=True) for name in mates)
    facilitator = app.test_client()
    lead_email, lead_password, _ = logins[0]
    response = post_form(facilitator, "/login", {"email": lead_email, "password": lead_password})
    assert response.status_code == 302
    assert facilitator.get(f"/circles/{circle.id}").status_code == 200


def test_demo_data_obeys_the_domain_rules(app: Flask, runner: Any) -> None:
    assert load(runner).exit_code == 0
    today = date.today()
    with app.app_context():
        vocabulary = set(orm.session.scalars(select(Topic.key)))
        everything = select(User).options(*(selectinload(getattr(User, name)) for name in (
            "strengths", "questions", "learning_goals", "boundaries", "success_criteria",
            "availability")))
        for user in orm.session.scalars(everything):
            strengths = [s.topic_key for s in user.strengths]
            assert 2 <= len(strengths) <= 4 and len(set(strengths)) == len(strengths), user.email
            assert set(strengths) <= vocabulary
            assert all(s.offer and topic_key(s.topic) == s.topic_key for s in user.strengths)
            assert 1 <= len(user.questions) <= 3 and all(q.topic_key in vocabulary for q in user.questions)
            goals = [g.topic_key for g in user.learning_goals]
            assert 1 <= len(goals) <= 2 and len(set(goals)) == len(goals)
            assert not {b.topic_key for b in user.boundaries} & set(strengths)
            (criterion,) = user.success_criteria
            assert today + timedelta(days=89) < criterion.target_date < today + timedelta(days=186)
            windows = user.availability
            assert 3 <= len(windows) <= 8  # 3–4 programme slots, split where local midnight cuts one
            for a, b in itertools.combinations(windows, 2):
                assert a.weekday != b.weekday or a.end_minute <= b.start_minute or b.end_minute <= a.start_minute
            assert user.bio and user.organisation and user.department
            assert user.email.endswith("@" + demo.DEMO_DOMAIN)
            assert user.background == {} or user.background_consent
        ties = {frozenset((t.low_id, t.high_id)) for t in orm.session.scalars(select(Tie))}
        for circle in orm.session.scalars(select(Circle)):
            seated = [seat.user for seat in circle.current_seats]
            assert len({u.organisation for u in seated}) == len(seated), circle.name
            assert not any(frozenset((a.id, b.id)) in ties for a, b in itertools.combinations(seated, 2))


def snapshot(app: Flask) -> list[tuple[str, ...]]:
    with app.app_context():
        people = [(u.email, u.display_name, u.organisation, u.department, u.timezone,
                   *(s.topic for s in u.strengths)) for u in orm.session.scalars(select(User))]
        circles = [(c.name, *(s.user.email for s in c.seats)) for c in orm.session.scalars(select(Circle))]
        return sorted(people) + sorted(circles)


def reset(app: Flask) -> None:
    with app.app_context():
        orm.session.remove()
        orm.drop_all()
        orm.create_all()


@pytest.mark.parametrize("backend", ["sqlite"])  # the generator is the same on every database
def test_same_seed_gives_the_same_community(app: Flask, runner: Any) -> None:
    assert load(runner, "--seed", "7").exit_code == 0
    first = snapshot(app)
    reset(app)
    assert load(runner, "--seed", "7").exit_code == 0
    assert snapshot(app) == first
    reset(app)
    assert load(runner, "--seed", "8").exit_code == 0
    assert snapshot(app) != first


@pytest.mark.parametrize("backend", ["sqlite"])  # nothing here touches the database
def test_serve_runs_socketio_on_the_given_address(app: Flask, runner: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    socketio = app.extensions["socketio"]
    monkeypatch.setattr(socketio, "run", lambda served, **kw: calls.append((served, kw)))
    result = runner.invoke(args=["serve", "--host", "127.0.0.1", "--port", "5077"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Circles is running on http://127.0.0.1:5077")
    assert calls == [(app, {"host": "127.0.0.1", "port": 5077,
                            "allow_unsafe_werkzeug": True, "use_reloader": False})]


def test_the_demo_is_a_programme_under_way_whose_circles_have_met(app: Flask,
                                                                  runner: Any) -> None:
    """Circle ties count once people have met (issue 17): the demo's circles met for their
    kick-off a week ago, as their members confirmed, so a demo member's network shows their
    circle-mates as new this round beside the ties they brought from before the programme."""
    from circles.models import Attendance, CircleSession, as_utc
    from circles.network.ego import ego_network

    assert load(runner).exit_code == 0
    with app.app_context():
        db = orm.session
        brought = max(as_utc(t) for t in db.scalars(select(Tie.created_at)))
        for circle in db.scalars(select(Circle)):
            (kick_off,) = db.scalars(select(CircleSession).where(
                CircleSession.circle_id == circle.id))
            assert kick_off.status == "ended" and kick_off.reported_by_id is not None
            there = set(db.scalars(select(Attendance.user_id).where(
                Attendance.session_id == kick_off.id)))
            assert there == {seat.user_id for seat in circle.current_seats}
            assert brought < as_utc(circle.created_at) < as_utc(kick_off.starts_at)
        circle = db.scalars(select(Circle).where(Circle.kind == "group")).first()
        assert circle is not None
        me, *mates = [seat.user_id for seat in circle.current_seats]
        graph = ego_network(db, me).graph
        new = {uid for uid, facts in graph.nodes(data=True) if facts.get("new")}
        old = {uid for uid, facts in graph.nodes(data=True) if uid != me and not facts.get("new")}
        assert set(mates) <= new and old, (mates, dict(graph.nodes(data=True)))
