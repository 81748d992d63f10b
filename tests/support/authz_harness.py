"""Running the authorisation matrix: one template world, a fresh copy per request that may
write, each role's login cookie, and what each answer means.

An answer is classified as:

- ``reach``: the caller got at the thing (2xx, a redirect elsewhere than the login page, or
  a refusal that shows it exists: 400/409/422 — e.g. a form with errors);
- ``hidden``: 404, exactly what a missing id gets;
- ``login``: a redirect to the login page (anonymous callers);
- ``FORBIDDEN`` / ``ERROR``: 401/403 (which reveal existence) or 5xx — never expected.
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from circles import create_app
from circles.api.tokens import create_token
from circles.extensions import orm
from circles.members import accounts
from circles.models import User, utcnow
from tests.conftest import AuthActions, csrf_token
from tests.support.authz_world import ROLES, World, build
from tests.support.live import app_on

SECRET = "authz-matrix-secret"


def config(path: Path) -> dict[str, Any]:
    return {"TESTING": True, "SECRET_KEY": SECRET,
            "RATELIMIT_STORAGE_URI": "memory://",
            "DATABASE_URL": f"sqlite:///{path}"}


@dataclass
class Template:
    """The world's database file and each role's login cookie in it."""

    path: Path
    world: World
    cookies: dict[str, str]
    tokens: dict[str, str]  # each role's API token (Authorization: Bearer …)


def make_template(directory: Path) -> Template:
    """Build the world once, with cheap password hashes (the matrix is not about hashing)."""
    cheap = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    original = accounts.generate_password_hash
    accounts.generate_password_hash = cheap  # type: ignore[assignment]
    try:
        return _make_template(directory)
    finally:
        accounts.generate_password_hash = original  # type: ignore[assignment]


def _make_template(directory: Path) -> Template:
    path = directory / "world.sqlite3"
    app = create_app(config(path))
    app.instance_path = str(directory)
    with app.app_context():
        orm.create_all()
    world = build(app)
    cookies = {}
    for n, role in enumerate(ROLES):
        if role == "anonymous":
            continue
        client = app.test_client()
        # One address each: the login rate limit is per address (and must stay enabled:
        # Flask-Limiter's enabled flag outlives an app that turns it off).
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        assert AuthActions(client).login(world.email(role)).status_code == 302, role
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        cookies[role] = cookie.value
    tokens = {}
    with app.app_context():
        for role, user_id in world.users.items():
            if role in ROLES:
                user = orm.session.get_one(User, user_id)
                row, tokens[role] = create_token(orm.session, user, name="matrix",
                                                 expires_in_days=None, now=utcnow())
                if role == "owner":
                    world.ids["api_token"] = row.id
        orm.session.commit()
        orm.session.remove()
        orm.engine.dispose()
    return Template(path, world, cookies, tokens)


@contextmanager
def copy_of(template: Template, directory: Path, **config: Any) -> Iterator[Flask]:
    """A fresh app on a fresh copy of the world's database (``config`` overrides)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "copy.sqlite3"
    shutil.copyfile(template.path, path)
    with app_on(f"sqlite:///{path}", SECRET_KEY=SECRET, **config) as app:
        app.instance_path = str(directory)
        yield app


def client_as(app: Flask, template: Template, role: str, *, token: bool = False) -> FlaskClient:
    """A browser logged in as ``role`` or, with ``token``, an API client holding its token."""
    client = app.test_client()
    if role == "anonymous":
        return client
    if token:
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {template.tokens[role]}"
    else:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], template.cookies[role])
    return client


def send(client: FlaskClient, method: str, url: str, *, anonymous: bool,
         data: dict[str, Any] | None = None, api: bool = False) -> TestResponse:
    """GET, or any other method with a valid CSRF token and the form ``data`` (or none);
    to the API, ``data`` as JSON and no CSRF token (it takes bearer tokens only)."""
    if method == "GET":
        return client.get(url)
    if api:
        return client.open(url, method=method, json=data or {})
    token = csrf_token(client, "/login" if anonymous else "/")
    return client.open(url, method=method, data={**(data or {}), "csrf_token": token})


def outcome(response: TestResponse, *, api: bool = False) -> str:
    """How an answer counts (``api``: 401 means "authenticate first", like a login page)."""
    response.close()  # a file served (static, vendor) is closed, not left to the collector
    status = response.status_code
    if api and status == 401:
        return "login"
    if status == 404:
        return "hidden"
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "login" if location.startswith("/login") else "reach"
    if status in (401, 403):
        return f"FORBIDDEN {status}"
    if status >= 500:
        return f"ERROR {status}"
    return "reach"


class DenialLog(logging.Handler):
    """Collects the ``authz_fail`` security events written while a request ran."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(record.getMessage())
