"""Planning a session is idempotent per form: the same form sent four times at once plans once.

The "plan a session" form carries a random ``form_key`` (circles/sessions/plans.py). Four
threads send one filled-in form to a real threaded HTTP server at the same moment, on SQLite
and on PostgreSQL: every one is redirected to the circle, and one session (or one series)
exists. Before the key, each POST planned its own copy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from circles.extensions import orm
from circles.models import CircleSession, SessionPlan, SessionSeries
from tests.conftest import PASSWORD, AuthActions, csrf_token

SENDERS = 4


@pytest.fixture
def pair(make_user: Any, make_community: Any, make_circle: Any) -> dict[str, Any]:
    ana, ben = make_user(display_name="Ana"), make_user(display_name="Ben")
    circle = make_circle(make_community(ana, members=[ben]), [ana, ben])
    return {"ana": ana, "ben": ben, "circle_id": circle.id}


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` behind werkzeug's threaded HTTP server (a thread per request), for the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-http")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def form_data(cadence: str = "", count: str = "1") -> dict[str, str]:
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    return {"date": day, "time": "18:00", "timezone": "Europe/Berlin",
            "duration_minutes": "60", "title": "Kick-off", "cadence": cadence, "count": count}


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        db = orm.session()
        try:
            return tuple(db.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                         for model in (CircleSession, SessionSeries, SessionPlan))
        finally:
            orm.session.remove()


@pytest.mark.parametrize(("cadence", "count"), [("", "1"), ("weekly", "3")])
def test_four_concurrent_sendings_of_one_form_plan_once(app: Flask, pair: dict[str, Any],
                                                       cadence: str, count: str) -> None:
    with serving(app) as base:
        browser = requests.Session()
        login = browser.post(f"{base}/login", allow_redirects=False, timeout=10, data={
            "email": pair["ana"].email, "password": PASSWORD,
            "csrf_token": field(browser.get(f"{base}/login", timeout=10).text, "csrf_token")})
        assert login.status_code == 302
        url = f"{base}/circles/{pair['circle_id']}/sessions/new"
        page = browser.get(url, timeout=10).text
        data = {**form_data(cadence, count), "csrf_token": field(page, "csrf_token"),
                "form_key": field(page, "form_key")}
        start = threading.Barrier(SENDERS)
        answers: list[Any] = [None] * SENDERS

        def send(n: int) -> None:
            tab = requests.Session()
            tab.cookies.update(browser.cookies)
            start.wait(timeout=10)
            try:
                answers[n] = tab.post(url, data=data, allow_redirects=False, timeout=60)
            except requests.RequestException as exc:
                answers[n] = exc

        senders = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=90)
    back = f"/circles/{pair['circle_id']}#sessions"
    assert [(a.status_code, a.headers.get("Location")) for a in answers] == [(302, back)] * 4
    assert counts(app) == (int(count), 1 if cadence else 0, 1)


def plan(client: FlaskClient, circle_id: int, **extra: str) -> Any:
    url = f"/circles/{circle_id}/sessions/new"
    page = client.get(url).get_data(as_text=True)
    data = {**form_data(), "csrf_token": csrf_token(client, url),
            "form_key": field(page, "form_key"), **extra}
    return client.post(url, data=data), data


def test_the_same_form_again_plans_nothing_new_and_a_new_form_does(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, Any]) -> None:
    auth.login(pair["ana"].email)
    first, data = plan(client, pair["circle_id"])
    again = client.post(f"/circles/{pair['circle_id']}/sessions/new", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert counts(app) == (1, 0, 1)
    assert plan(client, pair["circle_id"])[0].status_code == 302  # a new showing: a new key
    assert counts(app) == (2, 0, 2)


def test_a_form_with_errors_keeps_its_key_and_plans_once_fixed(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, Any]) -> None:
    auth.login(pair["ana"].email)
    bad, data = plan(client, pair["circle_id"], time="25:00")
    assert bad.status_code == 422 and counts(app) == (0, 0, 0)
    assert field(bad.get_data(as_text=True), "form_key") == data["form_key"]
    url = f"/circles/{pair['circle_id']}/sessions/new"
    for _ in range(2):
        assert client.post(url, data={**data, "time": "18:00"}).status_code == 302
    assert counts(app) == (1, 0, 1)


@pytest.mark.parametrize("key", ["short", "x" * 65, "../../etc", "\u0661" * 20])
def test_a_crafted_key_is_refused_in_words(app: Flask, client: FlaskClient, auth: AuthActions,
                                           pair: dict[str, Any], key: str) -> None:
    auth.login(pair["ana"].email)
    response, _ = plan(client, pair["circle_id"], form_key=key)
    assert response.status_code == 422
    assert "This form could not be read. Reload the page" in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_another_members_key_plans_nothing(app: Flask, client: FlaskClient, auth: AuthActions,
                                           pair: dict[str, Any]) -> None:
    auth.login(pair["ana"].email)
    _, data = plan(client, pair["circle_id"])
    auth.logout()
    auth.login(pair["ben"].email)
    response, _ = plan(client, pair["circle_id"], form_key=data["form_key"])
    assert response.status_code == 422
    assert "This form was already used." in response.get_data(as_text=True)
    assert counts(app) == (1, 0, 1)
