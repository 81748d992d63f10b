"""One pulse per member per round: a second answer replaces the first, and figures count it once.

A round is the session an answer followed, or the calendar month of a monthly (or
unprompted) answer (``circles.models.pulse.round_key``); the database holds one answer per
member per round (a unique key), also when two answers race, and the migration that brought
the key in kept the latest of any answers a member had given one round.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import DateTime, column, insert, inspect, select
from sqlalchemy import table as table_of
from sqlalchemy.orm import Session

from circles.extensions import orm
from circles.growth import pulse
from circles.models import Attendance, Circle, CircleSession, Pulse, User, utcnow
from tests.conftest import AuthActions, post_form

BEFORE_ROUNDS = "d93ec1b4f765"  # the revision before pulses had a round


@pytest.fixture
def trio(make_user: Any, make_community: Any, make_circle: Any) -> dict[str, Any]:
    people = {name: make_user(display_name=name.title()) for name in ("cat", "dan", "eve")}
    community = make_community(people["cat"], members=[people["dan"], people["eve"]])
    people["circle"] = make_circle(community, [people["cat"], people["dan"], people["eve"]])
    return people


def ended_session(db: Session, circle_id: int, ended: datetime, attendees: list[int]) -> int:
    session = CircleSession(circle_id=circle_id, starts_at=ended - timedelta(hours=1),
                            status="ended", started_at=ended - timedelta(hours=1), ended_at=ended)
    db.add(session)
    db.flush()
    db.add_all(Attendance(session_id=session.id, user_id=uid) for uid in attendees)
    db.flush()
    return session.id


def old_user(db: Session, name: str) -> int:
    """A member in the schema before pulse rounds: only the columns the table had then
    (read off the database, so a column added later never leaks into the old schema)."""
    now = utcnow()
    wanted: dict[str, Any] = {
        "email": f"{name}@example.org", "password_hash": "", "display_name": name.title(),
        "timezone": "UTC", "organisation": "", "department": "", "bio": "",
        "background_consent": False, "background": "{}", "is_active": True,
        "is_site_admin": False, "calendar_nonce": name, "created_at": now}
    had = {c["name"] for c in inspect(db.connection()).get_columns("user")}
    values = {key: value for key, value in wanted.items() if key in had}
    users = table_of("user", column("id"), *(column(key) for key in values))
    return int(db.execute(insert(users).values(**values).returning(users.c.id)).scalar_one())


def old_circle(db: Session, member_ids: list[int]) -> int:
    """A community and a circle of ``member_ids`` in the schema before pulse rounds (today's
    models have columns it did not have yet)."""
    now = utcnow()
    community = table_of("community", *(column(name) for name in (
        "id", "name", "description", "invite_code", "invite_uses", "formation_weights",
        "created_at")))
    community_id = db.execute(insert(community).values(
        name="Old cohort", description="", invite_code="old-cohort", invite_uses=0,
        formation_weights="{}", created_at=now).returning(community.c.id)).scalar_one()
    circle = table_of("circle", *(column(name) for name in (
        "id", "community_id", "name", "kind", "created_at")))
    circle_id = int(db.execute(insert(circle).values(
        community_id=community_id, name="Old pair", kind="pair", created_at=now,
    ).returning(circle.c.id)).scalar_one())
    memberships = table_of("membership", *(column(name) for name in (
        "community_id", "user_id", "role", "joined_at", "wants_rematch")))
    seats = table_of("circle_member", *(column(name) for name in (
        "circle_id", "user_id", "joined_at", "left_reason")))
    for uid in member_ids:
        db.execute(insert(memberships).values(community_id=community_id, user_id=uid,
                                              role="member", joined_at=now, wants_rematch=True))
        db.execute(insert(seats).values(circle_id=circle_id, user_id=uid, joined_at=now,
                                        left_reason=""))
    return circle_id


def old_ended_session(db: Session, circle_id: int, ended: datetime, attendees: list[int]) -> int:
    """``ended_session`` for the schema before pulse rounds: only the columns it had."""
    sessions = table_of("circle_session", *(column(name) for name in (
        "id", "circle_id", "title", "starts_at", "duration_minutes", "status", "started_at",
        "ended_at", "version", "sequence", "created_at")))
    began = ended - timedelta(hours=1)
    session_id = int(db.execute(insert(sessions).values(
        circle_id=circle_id, title="", starts_at=began, duration_minutes=60, status="ended",
        started_at=began, ended_at=ended, version=0, sequence=0, created_at=began,
    ).returning(sessions.c.id)).scalar_one())
    attendance = table_of("attendance", *(column(name) for name in (
        "session_id", "user_id", "joined_at", "last_seen", "ready")))
    for uid in attendees:
        db.execute(insert(attendance).values(session_id=session_id, user_id=uid,
                                             joined_at=began, last_seen=ended, ready=False))
    return session_id


def answers(db: Session, user_id: int) -> list[tuple[str, int, str]]:
    return [(p.round_key, p.score, p.comment) for p in db.scalars(
        select(Pulse).where(Pulse.user_id == user_id).order_by(Pulse.id))]


def test_a_second_answer_after_a_session_replaces_the_first(app: Flask,
                                                            trio: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session()
        cat, circle = db.get_one(User, trio["cat"].id), db.get_one(Circle, trio["circle"].id)
        now = utcnow()
        first = ended_session(db, circle.id, now - timedelta(hours=2), [cat.id])
        pulse.record_pulse(db, cat, circle, score=2, comment="Slow start", now=now)
        pulse.record_pulse(db, cat, circle, score=4, comment="On reflection, good",
                           now=now + timedelta(minutes=5))
        assert answers(db, cat.id) == [(f"session:{first}", 4, "On reflection, good")]
        # Nothing is owed a day later: answering again still revises that round's answer.
        pulse.record_pulse(db, cat, circle, score=5, now=now + timedelta(days=1))
        assert answers(db, cat.id) == [(f"session:{first}", 5, "")]
        second = ended_session(db, circle.id, now + timedelta(days=7), [cat.id])
        pulse.record_pulse(db, cat, circle, score=3, now=now + timedelta(days=7, hours=1))
        assert answers(db, cat.id) == [(f"session:{first}", 5, ""), (f"session:{second}", 3, "")]


def test_unprompted_and_monthly_answers_count_once_a_month(app: Flask,
                                                          trio: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session()
        cat, circle = db.get_one(User, trio["cat"].id), db.get_one(Circle, trio["circle"].id)
        march = datetime(2026, 3, 2, 9, tzinfo=UTC)
        for score in (1, 2, 5):
            pulse.record_pulse(db, cat, circle, score=score, now=march)
        assert answers(db, cat.id) == [("month:2026-03", 5, "")]
        for seat in circle.seats:
            seat.joined_at = march - timedelta(days=60)
        pulse.record_pulse(db, cat, circle, score=4, now=march + timedelta(days=31))  # due
        assert answers(db, cat.id) == [("month:2026-03", 5, ""), ("month:2026-04", 4, "")]


def test_figures_count_each_member_once_a_round(app: Flask, trio: dict[str, Any]) -> None:
    with app.app_context():
        db = orm.session()
        circle = db.get_one(Circle, trio["circle"].id)
        people = [db.get_one(User, trio[n].id) for n in ("cat", "dan", "eve")]
        for member in people:
            pulse.record_pulse(db, member, circle, score=1)
        for _ in range(5):  # Cat changes her mind five times: still one answer of hers
            pulse.record_pulse(db, people[0], circle, score=5)
        health = pulse.circle_health(db, circle)
        assert (health["count"], health["mean"]) == (3, 2.3)


def test_two_answers_racing_for_one_round_leave_one(app: Flask, trio: dict[str, Any]) -> None:
    """Both see no answer yet and insert: the unique key lets one in, and the other
    (after the first commits) replaces its score instead of failing."""
    with app.app_context():
        engine = orm.engine
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def answer(score: int) -> None:
        try:
            # Nothing is read before the barrier: on SQLite a transaction's first read
            # already queues for the writer lock.
            start.wait(timeout=10)
            with app.app_context(), Session(engine) as db:
                member = db.get_one(User, trio["cat"].id)
                circle = db.get_one(Circle, trio["circle"].id)
                pulse.record_pulse(db, member, circle, score=score)
                db.commit()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(score,)) for score in (2, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        (only,) = answers(orm.session(), trio["cat"].id)
        assert only[1] in (2, 4)


def test_answering_the_form_twice_keeps_one_answer(app: Flask, client: FlaskClient,
                                                   auth: AuthActions,
                                                   trio: dict[str, Any]) -> None:
    assert auth.login(trio["dan"].email).status_code == 302
    url = f"/circles/{trio['circle'].id}/pulse"
    for score in ("2", "3"):
        assert post_form(client, url, {"score": score, "comment": ""}).status_code == 302
    with app.app_context():
        assert [score for _, score, _ in answers(orm.session(), trio["dan"].id)] == [3]


def test_the_migration_keeps_the_latest_answer_of_each_round(app: Flask) -> None:
    with app.app_context():
        orm.drop_all()
        upgrade(revision=BEFORE_ROUNDS)
        db = orm.session()
        ann, ben = old_user(db, "ann"), old_user(db, "ben")
        circle_id = old_circle(db, [ann, ben])
        session_id = old_ended_session(db, circle_id, utcnow(), [ann, ben])
        march = datetime(2026, 3, 1, tzinfo=UTC)
        given = [(ann, session_id, march, 1), (ann, session_id, march + timedelta(days=1), 4),
                 (ann, None, march, 2), (ann, None, march + timedelta(days=5), 3),
                 (ann, None, march + timedelta(days=31), 5), (ben, session_id, march, 2)]
        # The table as it was: no round_key column yet.
        table = table_of("pulse", column("created_at", DateTime(timezone=True)), *(
            column(name) for name in ("circle_id", "user_id", "session_id", "score", "comment")))
        for user_id, sid, when, score in given:
            db.execute(insert(table).values(circle_id=circle_id, user_id=user_id, session_id=sid,
                                            created_at=when, score=score, comment=""))
        db.commit()
        orm.session.remove()
        upgrade()
        db = orm.session()
        assert answers(db, ann) == [(f"session:{session_id}", 4, ""), ("month:2026-03", 3, ""),
                                       ("month:2026-04", 5, "")]
        assert answers(db, ben) == [(f"session:{session_id}", 2, "")]
        orm.session.remove()
        downgrade(revision="base")  # leaves no alembic_version behind in the shared schema
