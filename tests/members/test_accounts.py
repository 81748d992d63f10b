"""Sign-up, log-in, log-out: hashing, CSRF, rate limits and server-side revocation."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.models import LoginSession, User
from tests.conftest import PASSWORD, AuthActions, post_form


def count_users(app: Flask) -> int:
    with app.app_context():
        return orm.session.scalar(select(func.count()).select_from(User)) or 0


@pytest.mark.real_password_hash
def test_signup_logs_in_and_hashes_password(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    response = auth.signup(email="Ada@Example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    with app.app_context():
        user = orm.session.scalar(select(User))
        assert user is not None and user.email == "ada@example.org"
        assert user.password_hash and user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash
    assert "Log out (New Member)" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "An email address must have an @-sign."),
        ("password", "short", "Choose a password of at least 10 characters."),
        ("display_name", "", "Tell us the name your circle should see."),
        ("timezone", "Mars/Olympus", "is not a time zone we know"),
    ],
)
def test_signup_shows_field_error_and_saves_nothing(
    app: Flask, auth: AuthActions, field: str, value: str, message: str
) -> None:
    response = auth.signup(**{field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html
    assert count_users(app) == 0


def test_duplicate_email_is_refused(app: Flask, auth: AuthActions, make_user) -> None:
    make_user(email="taken@example.org")
    response = auth.signup(email="TAKEN@example.org")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert count_users(app) == 1


def test_login_wrong_password_is_vague(auth: AuthActions, make_user) -> None:
    make_user(email="ada@example.org")
    wrong = auth.login("ada@example.org", "wrong password!!")
    unknown = auth.login("nobody@example.org", "wrong password!!")
    assert wrong.status_code == unknown.status_code == 422
    assert "That e-mail and password do not match." in wrong.get_data(as_text=True)
    assert "That e-mail and password do not match." in unknown.get_data(as_text=True)


def test_post_without_csrf_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    response = client.post("/signup", data={"email": "a@example.org", "password": PASSWORD,
                                            "display_name": "A", "timezone": "UTC"})
    assert response.status_code == 400
    assert "CSRF token is missing" in response.get_data(as_text=True)
    assert count_users(app) == 0


def test_logout_revokes_the_session_so_a_replayed_cookie_fails(
    app: Flask, client: FlaskClient, auth: AuthActions, make_user
) -> None:
    make_user(email="ada@example.org")
    auth.login("ada@example.org")
    cookie = client.get_cookie("session")
    assert cookie is not None
    stolen = cookie.value
    assert client.get("/profile").status_code == 200

    auth.logout()
    with app.app_context():
        row = orm.session.scalar(select(LoginSession))
        assert row is not None and row.revoked_at is not None

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_each_login_gets_its_own_session(app: Flask, client: FlaskClient, auth: AuthActions, make_user) -> None:
    make_user(email="ada@example.org")
    other = app.test_client()
    auth.login("ada@example.org")
    AuthActions(other).login("ada@example.org")
    auth.logout()
    assert other.get("/profile").status_code == 200  # the other browser stays signed in


def test_login_is_rate_limited(app: Flask, client: FlaskClient, make_user) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user(email="ada@example.org")
    statuses = [
        post_form(client, "/login", {"email": "ada@example.org", "password": "nope-nope-nope"}).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]


def test_next_only_follows_local_paths(client: FlaskClient, make_user) -> None:
    make_user(email="ada@example.org")
    data = {"email": "ada@example.org", "password": PASSWORD}
    response = post_form(client, "/login?next=//evil.example/x", data)
    assert response.headers["Location"] == "/"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch) -> None:
    from circles import create_app

    monkeypatch.setenv("CIRCLES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"DATABASE_URL": "sqlite://"})
    second = create_app({"DATABASE_URL": "sqlite://"})
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()


def test_environment_overrides_instance_config(tmp_path, monkeypatch) -> None:
    from circles import create_app

    monkeypatch.setenv("CIRCLES_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("LOGIN_RATE_LIMIT = '1 per day'\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://db.internal/circles")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["LOGIN_RATE_LIMIT"] == "1 per day"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.internal/circles"
    assert create_app({"SECRET_KEY": "override"}).config["SECRET_KEY"] == "override"
