"""Crafted requests that are not about ids: a Host the URL map cannot bind.

A Host label of 64 characters fails werkzeug's IDNA encoding: the request has no URL adapter,
and the error page, which links the stylesheet with ``url_for``, raised in turn (500). Now
it is a plain-text 400 (JSON under /api/).

Runs on SQLite only: it does not depend on the database.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from circles.views.error_pages import BAD_HOST

LABEL_64 = "a" * 64
BAD_HOSTS = [f"{LABEL_64}.example.org", LABEL_64, f"www.{LABEL_64}.example.org:5000",
             "a..example.org", ".example.org", "x" * 300]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("path", ["/", "/login", "/circles/1", "/no-such-page",
                                  "/static/circles.css"])
def test_an_unreadable_host_is_a_plain_400(client: FlaskClient, host: str, path: str) -> None:
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == BAD_HOST + "\n"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("host", BAD_HOSTS[:2])
def test_an_unreadable_host_is_a_json_400_for_clients_of_json(client: FlaskClient,
                                                              host: str) -> None:
    api = client.get("/api/v1/me", headers={"Host": host})
    assert api.status_code == 400
    assert api.get_json() == {"error": {"message": BAD_HOST, "field": None}}
    form = client.post("/login", headers={"Host": host, "Accept": "application/json"})
    assert form.status_code == 400 and form.get_json() == {"ok": False, "error": BAD_HOST}


def test_a_63_character_label_is_an_ordinary_host(client: FlaskClient) -> None:
    assert client.get("/", headers={"Host": f"{'a' * 63}.example.org"}).status_code == 200
