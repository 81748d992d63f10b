"""Which language a page is written in: the member's choice, else their community's default,
else the browser's Accept-Language, else English; dates follow it (docs/languages.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired

from circles.errors import InvalidInput
from circles.extensions import orm
from circles.live.room import text
from circles.members.availability import describe_windows
from circles.members.local_time import local_time
from circles.models import Community, ExternalContact, OutboxMessage, User
from circles.network.contacts import system
from circles.notify.notifications import notify
from circles.views.forms import PlainForm
from tests.conftest import AuthActions, post_form

SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the choice of language does not depend on the database


def page(client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("headers", "lang", "heading"), [
    (SPANISH, "es", "Únete a Circles"),
    ({"Accept-Language": "es-MX"}, "es", "Únete a Circles"),
    (ENGLISH, "en", "Join Circles"),
    ({"Accept-Language": "fr-FR,fr;q=0.9"}, "en", "Join Circles"),  # not spoken: English
    ({}, "en", "Join Circles"),
])
def test_anonymous_pages_follow_the_browser(client: FlaskClient, headers: dict[str, str],
                                            lang: str, heading: str) -> None:
    html = page(client, "/signup", headers)
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{heading}</h1>" in html


def test_form_errors_are_in_the_page_language(app: Flask, client: FlaskClient) -> None:
    data = {"display_name": "", "email": "x@example.org", "password": "a long enough secret",
            "timezone": "Europe/Madrid"}
    html = post_form(client, "/signup", data, headers=SPANISH).get_data(as_text=True)
    assert "Dinos el nombre que debe ver tu círculo." in html

    class TopicForm(PlainForm):  # WTForms' own message, made plain and then translated
        topic = StringField(_l("Topic"), validators=[DataRequired()])

    with app.test_request_context(method="POST", data={"topic": ""}, headers=SPANISH):
        form = TopicForm(meta={"csrf": False})
        assert not form.validate()
        assert form.topic.errors == ["Rellena «Tema»."]


def save_language(client: FlaskClient, me: User, language: str,
                  headers: dict[str, str] | None = None) -> Any:
    data = {"about-display_name": me.display_name, "about-timezone": "Europe/Madrid",
            "about-language": language}
    return post_form(client, "/profile", data, page="/profile", headers=headers or {})


def test_a_member_s_choice_wins_over_the_browser(client: FlaskClient, auth: AuthActions,
                                                 make_user: Callable[..., User]) -> None:
    me = make_user()
    auth.login(me.email)
    assert "<h1>My profile</h1>" in page(client, "/profile", ENGLISH) or \
        'lang="en"' in page(client, "/profile", ENGLISH)
    response = save_language(client, me, "es", ENGLISH)
    assert response.status_code == 302
    html = page(client, "/profile", ENGLISH)
    assert '<html lang="es">' in html and "Tus datos están guardados." in html
    assert '<option selected value="es">Español</option>' in html
    save_language(client, me, "", ENGLISH)  # Automatic: the browser's again
    assert '<html lang="en">' in page(client, "/profile", ENGLISH)
    assert '<html lang="es">' in page(client, "/profile", SPANISH)


def test_an_unknown_language_is_refused_and_nothing_is_saved(
        app: Flask, client: FlaskClient, auth: AuthActions, make_user: Callable[..., User]) -> None:
    me = make_user()
    auth.login(me.email)
    response = save_language(client, me, "xx")
    assert response.status_code == 422
    assert "Choose a language from the list." in response.get_data(as_text=True)
    with app.app_context():
        row = orm.session.get_one(User, me.id)
        assert row.language == "" and row.timezone == "UTC"


def test_the_community_default_serves_members_who_chose_none(
        app: Flask, client: FlaskClient, auth: AuthActions, make_user: Callable[..., User],
        make_community: Callable[..., Community]) -> None:
    facilitator, member = make_user(), make_user()
    community = make_community(facilitator, members=[member])
    auth.login(facilitator.email)
    url = f"/communities/{community.id}"
    response = post_form(client, f"{url}/language", {"language": "es"}, page=url)
    assert response.status_code == 302
    assert "Se guardó el idioma predeterminado de la comunidad." in page(client, url, ENGLISH)
    auth.logout()
    auth.login(member.email)
    assert '<html lang="es">' in page(client, "/", ENGLISH)  # no choice of their own
    save_language(client, member, "en")
    assert '<html lang="en">' in page(client, "/", SPANISH)  # their own choice wins


def test_only_a_listed_language_can_be_a_community_default(
        client: FlaskClient, auth: AuthActions, make_user: Callable[..., User],
        make_community: Callable[..., Community]) -> None:
    facilitator = make_user()
    community = make_community(facilitator)
    auth.login(facilitator.email)
    url = f"/communities/{community.id}"
    response = post_form(client, f"{url}/language", {"language": "klingon"}, page=url)
    assert response.status_code == 422
    assert "Choose a language from the list." in response.get_data(as_text=True)


def test_scripts_get_their_words_from_the_page(client: FlaskClient, auth: AuthActions,
                                               make_user: Callable[..., User]) -> None:
    auth.login(make_user().email)
    spanish = page(client, "/", SPANISH)
    block = re.search(r'<script type="application/json" id="catalogue">(.*?)</script>', spanish)
    assert block and '"Saving\\u2026": "Guardando\\u2026"' in block.group(1)
    assert 'id="catalogue"' not in page(client, "/", ENGLISH)  # English needs none


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Tue 25 Mar 2025, 18:00–19:30 (Madrid time)"),
    ("es", "mar 25 mar 2025, 18:00–19:30 (hora de Madrid)"),
])
def test_dates_are_written_the_reader_s_way(app: Flask, language: str, expected: str) -> None:
    with app.test_request_context(), force_locale(language):
        moment = datetime(2025, 3, 25, 17, 0, tzinfo=UTC)
        assert local_time(moment, "session", zone="Europe/Madrid", minutes=90,
                          language=language) == expected
        assert local_time(moment, "month", zone="Europe/Madrid", language=language) == (
            "March 2025" if language == "en" else "marzo de 2025")


@pytest.mark.parametrize(("chosen", "community", "subject", "greeting"), [
    ("es", "", "Circles: te han puesto en un círculo nuevo", "Hola, Member 1:"),
    ("", "es", "Circles: te han puesto en un círculo nuevo", "Hola, Member 1:"),
    ("en", "es", "Circles: you are placed in a new circle", "Hello Member 1,"),
    ("", "", "Circles: you are placed in a new circle", "Hello Member 1,"),
])
def test_e_mails_are_written_in_the_recipient_s_language(
        app: Flask, make_user: Callable[..., User], make_community: Callable[..., Community],
        chosen: str, community: str, subject: str, greeting: str) -> None:
    """Whoever's request sends it: their own choice, else their community's default."""
    member = make_user(display_name="Member 1")
    cohort = make_community(make_user(), members=[member])
    with app.test_request_context(headers=ENGLISH if chosen != "en" else SPANISH):
        db = orm.session
        db.get_one(User, member.id).language = chosen
        db.get_one(Community, cohort.id).language = community
        notify(db, member.id, "new_circle", "Night owls is formed.")
        db.commit()
        mail = db.scalars(select(OutboxMessage).where(OutboxMessage.to == member.email)).one()
    assert mail.subject == subject
    assert mail.body.startswith(f"{greeting}\n\nNight owls is formed.")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Tue–Wed 12:00–13:30, Wed 16:00–17:30 or Fri 09:00–10:00"),
    ("es", "mar–mié 12:00–13:30, mié 16:00–17:30 o vie 09:00–10:00"),
])
def test_weekly_hours_are_listed_the_reader_s_way(app: Flask, language: str,
                                                   expected: str) -> None:
    """The hours a community meets (shown to a member nobody could be placed with): days and
    the "or" between alternatives in the reader's language."""
    day = 1440
    windows = [(day + 720, day + 810), (2 * day + 720, 2 * day + 810),
               (2 * day + 960, 2 * day + 1050), (4 * day + 540, 4 * day + 600)]
    with app.test_request_context(), force_locale(language):
        assert describe_windows(windows, "Europe/London", date(2026, 1, 5)) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Keep the note to 20,000 characters (it has 20,001)."),
    ("es", "20.000"),
])
def test_counts_in_refusals_are_written_the_reader_s_way(app: Flask, language: str,
                                                         expected: str) -> None:
    """A limit in a sentence (a note, a write-up, an import's rows) follows the reader's
    grouping of digits, not English commas."""
    with app.test_request_context(), force_locale(language), \
            pytest.raises(InvalidInput) as refused:
        text("body", "x" * 20_001, max_len=20_000, what=str(_l("the note")))
    sentence = " ".join(refused.value.errors.values())
    assert expected in sentence and ("20,000" in sentence) == (language == "en")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Former employer: Initech"), ("es", "Antiguo empleador: Initech"),
])
def test_where_a_member_knows_an_outside_contact_from_is_in_the_reader_s_language(
        app: Flask, language: str, expected: str) -> None:
    with app.test_request_context(), force_locale(language):
        assert system(ExternalContact(context="former_employer",
                                      context_name="Initech")) == expected
