"""Shared fixtures: an app on each database backend, a CSRF-aware client, small factories.

Every test that takes ``app`` runs on SQLite and on PostgreSQL. PostgreSQL is looked for at
``CIRCLES_TEST_POSTGRES_URL`` (default ``postgresql://127.0.0.1:5432/test``); outside CI an
absent server skips those runs with the reason, in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from circles import create_app
from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.members import accounts
from circles.models import Circle, Community, Membership, User, utcnow
from tests.support import fresh_db, hashing, statement_cache
from tests.support.services import POSTGRES_URL, reachable, require_postgres

pytest_plugins = ["tests.support.live"]
fresh_db.cache_url_rules()
fresh_db.cache_url_builders()
fresh_db.cache_compiled_templates()
statement_cache.share_compiled_statements()

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery"
SCHEMA = f"circles_test_{os.getpid()}"


@functools.cache
def postgres_test_url() -> str:
    """A URL whose connections use a schema private to this test process (made by the first
    call; it stays until the session ends)."""
    require_postgres()
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
    admin.dispose()
    return POSTGRES_URL


def _drop_schema() -> None:
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
    admin.dispose()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection loaded (the app, its libraries, every test module) lives as long as
    the test process: frozen, the garbage collector's full passes no longer walk it again and
    again (about 3.5 % of the time of the in-process tests)."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _postgres_schema_cleanup() -> Iterator[None]:
    yield
    if reachable(POSTGRES_URL):  # absent server: nothing was created
        _drop_schema()


def app_config(backend: str, tmp_path: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if backend == "sqlite":
        config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        config["DATABASE_URL"] = postgres_test_url()
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={SCHEMA}"}
        }
    return config


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~60 ms a hash by design; tests that are not about hashing use a cheap one
    (``tests.support.hashing``). Mark a test ``real_password_hash`` to keep production hashing."""
    if request.node.get_closest_marker("real_password_hash") is None:
        monkeypatch.setattr(accounts, "generate_password_hash", hashing.cheap_password_hash)


@pytest.fixture(autouse=True)
def _wire_contract() -> Iterator[None]:
    """Fail a test whose real Socket.IO clients received an event or an ack that breaks its
    schema in docs/realtime/schemas (``tests.support.contract``; the clients record it on their
    own threads, where raising would be swallowed)."""
    yield
    contract = sys.modules.get("tests.support.contract")  # not imported: no client ran
    if contract is not None:
        broken = contract.take_violations()
        if broken:
            pytest.fail("the wire broke the live contract:\n" + "\n".join(broken[:5]))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Configuration a test module adds to the ``app`` fixture's (override it there)."""
    return {}


@pytest.fixture
def app(backend: str, tmp_path: Any, app_overrides: dict[str, Any],
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on an empty database with the whole schema (see ``tests.support.fresh_db``)."""
    config = {**app_config(backend, tmp_path), **app_overrides}
    default_sqlite = config["DATABASE_URL"] == app_config(backend, tmp_path)["DATABASE_URL"] \
        and backend == "sqlite"
    if default_sqlite:
        fresh_db.sqlite_file(lambda url: create_app({**config, "DATABASE_URL": url}),
                             tmp_path_factory.getbasetemp(), tmp_path / "test.sqlite3")
    app = create_app(config)
    app.instance_path = str(tmp_path)
    with app.app_context():
        if backend == "postgresql":
            fresh_db.empty_postgres(config["DATABASE_URL"])
        elif not default_sqlite:
            orm.drop_all()
            orm.create_all()
    yield app
    with app.app_context():
        orm.session.remove()
        orm.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The SQLAlchemy session inside an app context, for domain-level tests."""
    with app.app_context():
        yield orm.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def without_csrf(html: str) -> str:
    """A page with its CSRF token blanked, to compare two answers that differ only by the time."""
    return re.sub(r'(name="csrf[-_]token"[^>]*(?:value|content)=")[^"]+', r"\1", html)


def csrf_token(client: FlaskClient, page: str) -> str:
    """Read the CSRF token a real browser would get from ``page``."""
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None, *,
              page: str | None = None, **kwargs: Any) -> TestResponse:
    """POST a form the way a browser does: with the CSRF token from the page showing it."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, page or url)
    return client.post(url, data=payload, **kwargs)


def outbox_link(app: Flask, to: str, prefix: str) -> str:
    """The path of the newest e-mailed link starting with ``prefix`` sent to ``to``."""
    from sqlalchemy import select

    from circles.models import OutboxMessage

    with app.app_context():
        links = orm.session.scalars(select(OutboxMessage.link).where(
            OutboxMessage.to == to, OutboxMessage.link.startswith(prefix))
            .order_by(OutboxMessage.id.desc())).all()
    assert links, f"no e-mail to {to} with a {prefix} link"
    return str(links[0])


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def signup(self, email: str = "new@example.org", password: str = PASSWORD,
               display_name: str = "New Member", **extra: Any) -> TestResponse:
        data = {"email": email, "password": password, "display_name": display_name,
                "timezone": "Europe/Berlin", **extra}
        return post_form(self.client, "/signup", data)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        return post_form(self.client, "/login", {"email": email, "password": password})

    def logout(self) -> TestResponse:
        return post_form(self.client, "/logout", page="/")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(*, verified: bool = True, **overrides: Any) -> User:
        """A member with a password; their e-mail counts as verified unless told otherwise."""
        n = next(counter)
        with app.app_context():
            fields = {"email": f"member{n}@example.org", "password": PASSWORD,
                      "display_name": f"Member {n}", "timezone": "UTC"}
            profile = {k: overrides.pop(k) for k in ("organisation", "department") if k in overrides}
            fields.update(overrides)
            user = accounts.sign_up(orm.session, **fields)
            for key, value in profile.items():
                setattr(user, key, value)
            if verified:
                user.email_verified_at = utcnow()
            orm.session.commit()
            orm.session.refresh(user)
            orm.session.expunge(user)
            return user

    return make


@pytest.fixture
def make_community(app: Flask) -> Callable[..., Community]:
    def make(owner: User, *, name: str = "Test Cohort", members: list[User] = ()) -> Community:  # type: ignore[assignment]
        with app.app_context():
            owner_row = orm.session.get_one(User, owner.id)
            community = create_community(orm.session, owner_row, name=name)
            for member in members:
                orm.session.add(Membership(community=community, user_id=member.id, role="member"))
            orm.session.commit()
            orm.session.refresh(community)
            orm.session.expunge(community)
            return community

    return make


@pytest.fixture
def make_circle(app: Flask) -> Callable[..., Circle]:
    def make(community: Community, members: list[User], *, name: str = "") -> Circle:
        with app.app_context():
            community_row = orm.session.get_one(Community, community.id)
            creator = orm.session.get_one(User, members[0].id)
            circle = create_circle(orm.session, community_row, creator, name=name,
                                   member_ids=[m.id for m in members])
            orm.session.commit()
            orm.session.refresh(circle)
            orm.session.expunge(circle)
            return circle

    return make
