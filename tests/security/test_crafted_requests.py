"""Crafted requests that are not about ids: a Host the URL map cannot bind, and a flood of CSP
reports.

A Host label of 64 characters fails werkzeug's IDNA encoding: the request has no URL adapter,
and the error page, which links the stylesheet with ``url_for``, raised in turn (500). Now
it is a plain-text 400 (JSON under /api/). ``/csp-report`` takes no cookie and no CSRF token,
so anyone can post to it: beyond ``CSP_REPORT_RATE_LIMIT`` per address it answers 429
without reading or logging the report.

Runs on SQLite only: neither depends on the database.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.security_log import LOGGER_NAME
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


REPORT = json.dumps({"csp-report": {"document-uri": "http://127.0.0.1/",
                                    "effective-directive": "script-src-elem",
                                    "blocked-uri": "inline"}})


def report(client: FlaskClient, address: str = "203.0.113.7") -> int:
    return client.post("/csp-report", data=REPORT, content_type="application/csp-report",
                       environ_base={"REMOTE_ADDR": address}).status_code


class TestCspReportThrottle:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"CSP_REPORT_RATE_LIMIT": "3 per minute"}

    def test_reports_beyond_the_limit_are_refused_and_not_logged(
            self, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        assert [report(client) for _ in range(6)] == [204, 204, 204, 429, 429, 429]
        logged = [json.loads(r.getMessage())["event"] for r in caplog.records
                  if r.name == LOGGER_NAME]
        assert logged == ["csp_violation"] * 3
        assert [r for r in caplog.records if r.levelno >= logging.WARNING
                and r.name != LOGGER_NAME] == []
        assert report(client, "198.51.100.9") == 204  # the limit is per address


def test_the_limit_is_on_by_default(app: Flask, client: FlaskClient) -> None:
    assert app.config["CSP_REPORT_RATE_LIMIT"] == "30 per minute;300 per hour"
    answers = [report(client) for _ in range(31)]
    assert answers == [204] * 30 + [429]
