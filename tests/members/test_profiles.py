"""The profile page and member pages through HTTP: each section saves, every bad input is
explained next to its field with nothing saved, and other members see only what is public."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.models import (
    Availability,
    Boundary,
    LearningGoal,
    Question,
    Strength,
    SuccessCriterion,
    User,
)
from tests.conftest import AuthActions, post_form

TODAY = date.today()


def field_error(page: str, field_id: str) -> str | None:
    """The text of the error shown next to ``field_id``, or None."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error"[^>]*>(.*?)</p>', page, re.DOTALL)
    return html.unescape(match.group(1)) if match else None


def count(app: Flask, model: Any, user_id: int) -> int:
    with app.app_context():
        return orm.session.scalar(
            select(func.count()).select_from(model).where(model.user_id == user_id)) or 0


def fetch_user(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = orm.session.get_one(User, user_id)
        orm.session.expunge(user)
        return user


@pytest.fixture
def me(make_user: Callable[..., User], auth: AuthActions) -> User:
    user = make_user(display_name="Ada Lovelace", email="ada@example.org")
    auth.login(user.email)
    return user


ABOUT = {"about-display_name": "Ada King", "about-timezone": "Europe/Paris",
         "about-organisation": "Analytical Engines", "about-department": "R&D",
         "about-bio": "Notes on the engine."}
STRENGTH = {"strength-topic": "public   speaking ", "strength-offer": "Rehearse talks",
            "strength-level": "expert"}
SUCCESS = {"success-text": "Lead my first workshop",
           "success-target_date": (TODAY + timedelta(days=60)).isoformat()}
AVAILABILITY = {"availability-weekday": "2", "availability-start": "09:30",
                "availability-end": "11:30"}


@pytest.mark.parametrize(
    ("url", "data", "anchor", "model", "expected"),
    [
        ("/profile/strengths", STRENGTH, "strengths", Strength,
         {"topic": "Public speaking", "offer": "Rehearse talks", "level": "expert"}),
        ("/profile/questions", {"question-text": "How do I delegate?", "question-topic": ""},
         "questions", Question, {"text": "How do I delegate?", "topic": ""}),
        ("/profile/learning-goals", {"learning-goal-topic": "negotiation", "learning-goal-note": "salary"},
         "learning-goals", LearningGoal, {"topic": "Negotiation", "note": "salary"}),
        ("/profile/boundaries", {"boundary-topic": "Tax law"}, "boundaries", Boundary,
         {"topic": "Tax law"}),
        ("/profile/success-criteria", SUCCESS, "success-criteria", SuccessCriterion,
         {"text": "Lead my first workshop", "target_date": TODAY + timedelta(days=60)}),
        ("/profile/availability", AVAILABILITY, "availability", Availability,
         {"weekday": 2, "start_minute": 570, "end_minute": 690}),
    ],
)
def test_each_list_section_saves(app: Flask, client: FlaskClient, me: User, url: str,
                                 data: dict[str, str], anchor: str, model: Any,
                                 expected: dict[str, Any]) -> None:
    response = post_form(client, url, data, page="/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/profile#{anchor}"
    with app.app_context():
        item = orm.session.scalars(select(model).where(model.user_id == me.id)).one()
        assert {key: getattr(item, key) for key in expected} == expected
    page = client.get("/profile").get_data(as_text=True)
    assert "added." in page  # the flash


def test_about_saves_and_keeps_background_with_consent(app: Flask, client: FlaskClient, me: User) -> None:
    data = {**ABOUT, "about-background_consent": "y", "about-career_path": "Career changer"}
    response = post_form(client, "/profile", data)
    assert response.status_code == 302 and response.headers["Location"] == "/profile#about"
    user = fetch_user(app, me.id)
    assert (user.display_name, user.timezone, user.organisation, user.department, user.bio) == (
        "Ada King", "Europe/Paris", "Analytical Engines", "R&D", "Notes on the engine.")
    assert user.background_consent and user.background == {"career_path": "Career changer"}
    assert "Weekly availability, in Paris time" in client.get("/profile").get_data(as_text=True)


def test_background_dropped_when_consent_is_off(app: Flask, client: FlaskClient, me: User) -> None:
    post_form(client, "/profile", {**ABOUT, "about-background_consent": "y", "about-gender": "Woman"})
    assert fetch_user(app, me.id).background == {"gender": "Woman"}
    response = post_form(client, "/profile", {**ABOUT, "about-gender": "Woman",
                                              "about-career_path": "First in family at university"})
    assert response.status_code == 302
    user = fetch_user(app, me.id)
    assert user.background_consent is False and user.background == {}


# (case, [(url, data) posted first], url, data, field id, message, model counted or None)
OVERLONG_OFFER = {**STRENGTH, "strength-offer": "x" * 501}
INVALID = [
    ("empty topic", [], "/profile/strengths", {**STRENGTH, "strength-topic": "   "},
     "strength-topic", "Name a topic.", Strength),
    ("over-long offer", [], "/profile/strengths", OVERLONG_OFFER,
     "strength-offer", "Keep this under 500 characters (it has 501).", Strength),
    ("bad level", [], "/profile/strengths", {**STRENGTH, "strength-level": "guru"},
     "strength-level", "Choose one of: emerging, practised, expert.", Strength),
    ("duplicate strength", [("/profile/strengths", {**STRENGTH, "strength-topic": "Python"})],
     "/profile/strengths", {**STRENGTH, "strength-topic": "  python "},
     "strength-topic", "Python is already one of your strengths.", Strength),
    ("duplicate named as first written", [("/profile/strengths", {**STRENGTH, "strength-topic": "SQL"})],
     "/profile/strengths", {**STRENGTH, "strength-topic": "sql."},
     "strength-topic", "SQL is already one of your strengths.", Strength),
    ("bad time zone", [], "/profile", {**ABOUT, "about-timezone": "Mars/Olympus"},
     "about-timezone", "'Mars/Olympus' is not a time zone we know.", None),
    ("empty name", [], "/profile", {**ABOUT, "about-display_name": "  "},
     "about-display_name", "Tell us the name your circle should see.", None),
    ("past target date", [], "/profile/success-criteria",
     {**SUCCESS, "success-target_date": (TODAY - timedelta(days=1)).isoformat()},
     "success-target_date", "Pick a date after today.", SuccessCriterion),
    ("missing target date", [], "/profile/success-criteria", {**SUCCESS, "success-target_date": ""},
     "success-target_date", "Say by when (a date).", SuccessCriterion),
    ("end before start", [], "/profile/availability",
     {**AVAILABILITY, "availability-start": "10:00", "availability-end": "09:00"},
     "availability-end", "End after the start.", Availability),
    ("overlapping availability", [("/profile/availability", AVAILABILITY)], "/profile/availability",
     {**AVAILABILITY, "availability-start": "11:00", "availability-end": "12:00"},
     "availability-start", "Overlaps your Wednesday window 09:30–11:30.", Availability),
    ("bad HH:MM", [], "/profile/availability", {**AVAILABILITY, "availability-start": "9h30"},
     "availability-start", "Use the form HH:MM, e.g. 09:30.", Availability),
    ("hour out of range", [], "/profile/availability", {**AVAILABILITY, "availability-end": "25:00"},
     "availability-end", "Use a time between 00:00 and 24:00.", Availability),
    ("empty question", [], "/profile/questions", {"question-text": " ", "question-topic": "x"},
     "question-text", "Write the question you are working on.", Question),
    ("empty boundary", [], "/profile/boundaries", {"boundary-topic": ""},
     "boundary-topic", "Name a topic.", Boundary),
]


@pytest.mark.parametrize(("case", "before", "url", "data", "field_id", "message", "model"),
                         INVALID, ids=[row[0] for row in INVALID])
def test_bad_input_is_explained_next_to_its_field_and_nothing_is_saved(
    app: Flask, client: FlaskClient, me: User, case: str, before: list[tuple[str, dict[str, str]]],
    url: str, data: dict[str, str], field_id: str, message: str, model: Any,
) -> None:
    for setup_url, setup_data in before:
        assert post_form(client, setup_url, setup_data, page="/profile").status_code == 302
    rows_before = count(app, model, me.id) if model else None
    response = post_form(client, url, data, page="/profile")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field_id) == message
    assert page.count('class="error"') == 1  # only that field complains
    assert f'id="{field_id}"' in page and 'aria-invalid="true"' in page
    # the rest of the page is intact: every section's form is still there
    for other in ("about-display_name", "strength-topic", "question-text", "availability-start"):
        assert f'id="{other}"' in page
    if model is not None:
        assert count(app, model, me.id) == rows_before
    else:
        user = fetch_user(app, me.id)
        assert (user.display_name, user.timezone, user.organisation) == ("Ada Lovelace", "UTC", "")


def test_rejected_entry_is_kept_in_its_field(client: FlaskClient, me: User) -> None:
    page = post_form(client, "/profile/strengths", OVERLONG_OFFER, page="/profile").get_data(as_text=True)
    assert "public   speaking " in page and "x" * 501 in page


def test_remove_own_item(app: Flask, client: FlaskClient, me: User) -> None:
    post_form(client, "/profile/strengths", STRENGTH, page="/profile")
    with app.app_context():
        strength_id = orm.session.scalars(select(Strength.id)).one()
    response = post_form(client, f"/profile/strength/{strength_id}/delete", page="/profile")
    assert response.status_code == 302 and response.headers["Location"] == "/profile#strengths"
    assert count(app, Strength, me.id) == 0


@pytest.mark.parametrize("kind", ["strength", "availability", "nonsense"])
def test_removing_someone_elses_item_is_not_found(
    app: Flask, client: FlaskClient, auth: AuthActions, make_user: Callable[..., User], kind: str
) -> None:
    owner = make_user()
    auth.login(owner.email)
    post_form(client, "/profile/strengths", STRENGTH, page="/profile")
    post_form(client, "/profile/availability", AVAILABILITY, page="/profile")
    auth.logout()
    auth.login(make_user().email)
    model = Availability if kind == "availability" else Strength
    with app.app_context():
        item_id = orm.session.scalars(select(model.id)).one()
    response = post_form(client, f"/profile/{kind}/{item_id}/delete", page="/profile")
    assert response.status_code == 404
    assert count(app, model, owner.id) == 1


def test_profile_needs_login_and_csrf(app: Flask, client: FlaskClient, me: User) -> None:
    response = client.post("/profile/strengths", data=STRENGTH)
    assert response.status_code == 400
    assert count(app, Strength, me.id) == 0
    post_form(client, "/logout", page="/")
    assert client.get("/profile").status_code == 302
