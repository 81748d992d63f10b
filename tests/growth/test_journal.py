"""The growth journal: feedback received, kept commitments and goal progress — the owner's only."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.extensions import orm
from circles.growth import goals, journal
from circles.models import Commitment, Feedback, User
from tests.conftest import AuthActions
from tests.support.goals_cast import Cast, build_cast


@pytest.fixture
def cast(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Cast:
    built = build_cast(app, make_user, make_community, make_circle)
    with app.app_context():
        db = orm.session
        db.add_all([
            Feedback(session_id=built.pair_session_id, giver_id=built.id("ben"),
                     receiver_id=built.id("ana"), strength="Ana listens closely",
                     suggestion="Ana could push back more"),
            Feedback(session_id=built.pair_session_id, giver_id=built.id("ana"),
                     receiver_id=built.id("ben"), strength="Ben frames problems well",
                     suggestion="Ben might slow down"),
            Feedback(session_id=built.other_session_id, giver_id=built.id("dan"),
                     receiver_id=built.id("cara"), strength="Cara is generous",
                     suggestion="Cara could delegate"),
        ])
        for text, status in (("Kept promise", "kept"), ("Half promise", "partly"),
                             ("Missed promise", "missed"), ("Open promise", "open")):
            db.add(Commitment(circle_id=built.pair_id, session_id=built.pair_session_id,
                              user_id=built.id("ana"), text=text, status=status))
        db.commit()
        ana = db.get_one(User, built.id("ana"))
        for rating in (2, 4):
            goals.check_in(db, ana, kind="criterion", goal_id=built.private_id, rating=rating)
        db.commit()
    return built


def test_journal_holds_what_the_member_received(db: Any, cast: Cast) -> None:
    book = journal.journal(db, db.get_one(User, cast.id("ana")))
    assert [r.feedback.strength for r in book.feedback] == ["Ana listens closely"]
    assert book.feedback[0].giver.id == cast.id("ben")
    assert book.feedback[0].circle.name == "Ana & Ben"
    assert sorted(c.text for c in book.kept) == ["Half promise", "Kept promise"]
    progress = {p.criterion.text: p for p in book.progress}
    assert [c.rating for c in progress["Ask for a raise"].checkins] == [2, 4]
    assert progress["Ask for a raise"].change == 2
    assert progress["Lead a design review"].checkins == []
    assert not book.empty


def test_journal_of_someone_without_history_is_empty(db: Any, cast: Cast) -> None:
    book = journal.journal(db, db.get_one(User, cast.id("fay")))
    assert book.empty


@pytest.mark.parametrize(("who", "sees", "never_sees"), [
    ("ana", ["Ana listens closely", "Ana could push back more", "Kept promise",
             "Ask for a raise", "2 → 4"],
     ["Ben frames problems well", "Cara is generous", "Missed promise", "Open promise"]),
    ("ben", ["Ben frames problems well", "Ben might slow down"],
     ["Ana listens closely", "Ana could push back more", "Kept promise", "Ask for a raise",
      "Cara is generous"]),
    ("fay", ["Nothing here yet."],
     ["Ana listens closely", "Ben frames problems well", "Cara is generous", "Ask for a raise"]),
])
def test_journal_page_is_the_owners_only(client: FlaskClient, auth: AuthActions, cast: Cast,
                                         who: str, sees: list[str], never_sees: list[str]
                                         ) -> None:
    auth.login(cast.email(who))
    page = client.get("/journal").get_data(as_text=True)
    for text in sees:
        assert text in page
    for text in never_sees:
        assert text not in page


def test_journal_needs_a_login_and_takes_no_member_id(client: FlaskClient, cast: Cast) -> None:
    assert client.get("/journal").status_code == 302
    assert client.get(f"/journal/{cast.id('ana')}").status_code == 404


def test_private_goals_and_feedback_stay_off_other_pages(client: FlaskClient, auth: AuthActions,
                                                         cast: Cast) -> None:
    auth.login(cast.email("ben"))
    for url in ("/goals", "/commitments", f"/circles/{cast.pair_id}"):
        page = client.get(url).get_data(as_text=True)
        for secret in ("Ask for a raise", "Ana listens closely", "Kept promise"):
            assert secret not in page, (url, secret)
