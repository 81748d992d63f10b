"""Hardening (issue 8): security headers and CSP, cookie flags, session rotation, security
logging in the OWASP vocabulary, and static checks that templates and scripts stay safe.

Runs on SQLite only: none of it depends on the database backend.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from circles import create_app
from circles.config import secure_cookies
from circles.security_log import LOGGER_NAME, security_event
from tests.conftest import PASSWORD, AuthActions, csrf_token, post_form
from tests.support.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def world(make_user: Any, make_community: Any, make_circle: Any) -> World:
    return build_world(make_user, make_community, make_circle)


def security_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER_NAME]


def events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(r["event"]) for r in security_records(caplog)]


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


# --- headers -----------------------------------------------------------------------------

def test_every_page_gets_the_security_headers(client: FlaskClient) -> None:
    for url in ("/", "/login", "/no-such-page", "/circles/99999"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "style-src 'self'", "object-src 'none'",
                          "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
                          "connect-src 'self'", "img-src 'self' data:"):
            assert directive in csp, (url, directive)
        assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'(;|$)", csp), csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Cache-Control"] == "no-store", url


def test_the_nonce_is_new_for_every_response_and_the_one_templates_get(app: Flask) -> None:
    client = app.test_client()
    nonces = {re.findall(r"'nonce-([^']+)'", client.get("/login").headers[
        "Content-Security-Policy"])[0] for _ in range(3)}
    assert len(nonces) == 3
    with app.test_request_context("/"):
        rendered = render_template_string("{{ csp_nonce() }}|{{ csp_nonce() }}")
        first, second = rendered.split("|")
        assert first == second and len(first) >= 20
        response = app.process_response(app.make_response("x"))
        assert f"'nonce-{first}'" in response.headers["Content-Security-Policy"]


def test_signed_in_pages_are_not_stored_but_static_assets_may_be(
        client: FlaskClient, auth: AuthActions, world: World) -> None:
    auth.login(world.email("circle_member"))
    for url in ("/", f"/circles/{world.circle_id}", "/profile", "/network/data.json"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    asset = client.get("/static/circles.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("Cache-Control", "")
    assert asset.headers["X-Content-Type-Options"] == "nosniff"
    asset.close()


def test_strict_transport_security_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://circles.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_socket_io_accepts_only_its_own_origin(client: FlaskClient) -> None:
    """SOCKETIO_CORS_ALLOWED_ORIGINS unset → same origin only: a page elsewhere cannot open
    a socket with the member's cookie (cross-site WebSocket hijacking)."""
    handshake = "/socket.io/?EIO=4&transport=polling"
    assert client.get(handshake, headers={"Origin": "http://localhost"}).status_code == 200
    refused = client.get(handshake, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 400 and b"Not an accepted origin" in refused.data


# --- CSP reports -------------------------------------------------------------------------

def test_csp_reports_are_logged_without_query_strings_or_samples(
        client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER_NAME)
    report = {"csp-report": {
        "document-uri": "http://127.0.0.1/claim/abc?token=SECRET1",
        "violated-directive": "script-src-elem", "effective-directive": "script-src-elem",
        "blocked-uri": "inline", "script-sample": "alert('SECRET2')",
    }}
    response = client.post("/csp-report", data=json.dumps(report),
                           content_type="application/csp-report")
    assert response.status_code == 204
    (record,) = [r for r in security_records(caplog) if r["event"] == "csp_violation"]
    assert record["directive"] == "script-src-elem" and record["blocked"] == "inline"
    assert record["document"] == "http://127.0.0.1/claim/abc"
    assert "SECRET" not in caplog.text


def test_csp_reports_are_size_limited_and_tolerate_garbage(client: FlaskClient) -> None:
    assert client.post("/csp-report", data=b"x" * 20_000).status_code == 413
    assert client.post("/csp-report", data=b"\xff not json").status_code == 204
    assert client.post("/csp-report", data=b'["a list"]').status_code == 204


# --- cookies -----------------------------------------------------------------------------

def production_app(tmp_path: Path, **config: Any) -> Flask:
    return create_app({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
                       **config})


def test_the_session_cookie_is_secure_in_production_without_configuration(
        tmp_path: Path) -> None:
    app = production_app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    set_cookie = app.test_client().get("/login", base_url="https://circles.example").headers[
        "Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


@pytest.mark.parametrize(("config", "plain_http", "expected"), [
    ({}, True, False),  # `flask serve`: the development server speaks http
    ({"DEBUG": True}, False, False),
    ({"TESTING": True}, False, False),
    ({"SESSION_COOKIE_SECURE": False}, False, False),  # explicit wins
    ({"SESSION_COOKIE_SECURE": True}, True, True),  # explicit wins, even on `flask serve`
    ({"SESSION_COOKIE_SECURE": True, "TESTING": True}, False, True),
])
def test_when_the_cookie_is_not_secure(tmp_path: Path, config: dict[str, Any],
                                       plain_http: bool, expected: bool) -> None:
    app = production_app(tmp_path, **config)
    secure_cookies(app, plain_http=plain_http)
    assert app.config["SESSION_COOKIE_SECURE"] is expected


def test_the_session_cookie_in_tests_is_http_only_and_lax(client: FlaskClient) -> None:
    set_cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie


# --- session rotation --------------------------------------------------------------------

def test_login_rotates_the_session_and_the_csrf_token(
        client: FlaskClient, auth: AuthActions, world: World) -> None:
    before_token = csrf_token(client, "/login")
    before_cookie = session_cookie(client)
    auth.login(world.email("circle_member"))
    assert csrf_token(client, "/profile") != before_token
    client.set_cookie("session", before_cookie)  # a cookie planted before the login …
    response = client.get("/profile")  # … signs nobody in
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_second_login_revokes_the_first_login_session(
        client: FlaskClient, auth: AuthActions, world: World,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER_NAME)
    auth.login(world.email("circle_member"))
    first = session_cookie(client)
    assert client.get("/profile").status_code == 200
    auth.login(world.email("mate"))  # same browser, another account
    assert session_cookie(client) != first
    client.set_cookie("session", first)  # replaying the first login's cookie
    assert client.get("/profile").status_code == 302
    replaced = [r for r in security_records(caplog) if r["event"] == "session_expired"]
    assert replaced and replaced[0]["user"] == world.id("circle_member")
    replay = [r for r in security_records(caplog) if r["event"] == "session_use_after_expire"]
    assert replay and replay[-1]["user"] == world.id("circle_member")


# --- security logging --------------------------------------------------------------------

def test_log_in_and_out_are_logged_with_owasp_names_and_no_secrets(
        client: FlaskClient, auth: AuthActions, world: World,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER_NAME)
    who = world.id("circle_member")
    auth.login(world.email("circle_member"), password="wrong password 123")
    auth.login("nobody@example.org", password="another wrong one")
    auth.login(world.email("circle_member"))
    auth.logout()
    records = security_records(caplog)
    assert [(r["event"], r["user"]) for r in records] == [
        ("authn_login_fail", who), ("authn_login_fail", "unknown"),
        ("session_created", who), ("authn_login_success", who), ("session_expired", who),
    ]
    assert records[0]["method"] == "POST" and records[0]["path"] == "/login"
    assert records[-1]["reason"] == "logout"
    for secret in ("wrong password 123", "another wrong one", PASSWORD, "nobody@example.org",
                   world.email("circle_member"), session_cookie(client)):
        assert secret not in caplog.text


def test_sign_up_is_logged_as_user_created(client: FlaskClient, auth: AuthActions,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER_NAME)
    assert auth.signup(email="fresh@example.org").status_code == 302
    assert events(caplog) == ["user_created", "session_created"]
    assert "fresh@example.org" not in caplog.text


def test_the_login_rate_limit_is_logged_as_a_lock(
        app: Flask, client: FlaskClient, auth: AuthActions, world: World,
        caplog: pytest.LogCaptureFixture) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    caplog.set_level(logging.INFO, LOGGER_NAME)
    statuses = [auth.login(world.email("member"), password="wrong password!").status_code
                for _ in range(3)]
    assert statuses[-1] == 429
    assert events(caplog)[-1] == "authn_login_lock"


def test_a_hidden_object_is_a_404_logged_as_authz_fail(
        client: FlaskClient, auth: AuthActions, world: World,
        caplog: pytest.LogCaptureFixture) -> None:
    auth.login(world.email("outsider"))
    caplog.set_level(logging.INFO, LOGGER_NAME)
    caplog.clear()
    assert client.get(f"/circles/{world.circle_id}").status_code == 404
    (record,) = security_records(caplog)
    assert record["event"] == "authz_fail" and record["user"] == world.id("outsider")
    assert record["path"] == "/circles/<int:circle_id>"
    assert record["ids"] == {"circle_id": world.circle_id}


def test_capabilities_in_urls_are_not_logged(client: FlaskClient,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER_NAME)
    assert client.get("/claim/SECRETCLAIMTOKEN").status_code == 404
    assert events(caplog) == ["authz_fail"]
    assert "SECRETCLAIMTOKEN" not in caplog.text


def test_a_missing_csrf_token_is_logged(client: FlaskClient, auth: AuthActions, world: World,
                                        caplog: pytest.LogCaptureFixture) -> None:
    auth.login(world.email("member"))
    caplog.set_level(logging.INFO, LOGGER_NAME)
    caplog.clear()
    assert client.post("/logout").status_code == 400
    (record,) = security_records(caplog)
    assert record["event"] == "input_validation_fail" and record["field"] == "csrf_token"
    assert record["user"] == world.id("member")


def test_security_events_refuse_fields_that_would_carry_secrets() -> None:
    with pytest.raises(ValueError, match="password"):
        security_event("authn_login_fail", password="hunter2")


# --- templates and scripts ----------------------------------------------------------------

def template_files() -> list[Path]:
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 20
    return files


def script_files() -> list[Path]:
    files = sorted(STATIC.rglob("*.js"))
    assert len(files) > 5
    return files


def test_no_inline_script_without_a_nonce() -> None:
    """External scripts, JSON data blocks, or a nonce: anything else CSP would block."""
    offenders = []
    for path in template_files():
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(), flags=re.IGNORECASE):
            if ("src=" in tag or 'type="application/json"' in tag
                    or "nonce=\"{{ csp_nonce() }}\"" in tag):
                continue
            offenders.append(f"{path.relative_to(ROOT)}: {tag}")
    assert offenders == []


def test_no_inline_styles_or_event_handlers_in_templates() -> None:
    """style-src 'self' and script-src without 'unsafe-inline' would block them."""
    pattern = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE)
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in template_files()
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_scripts_never_insert_html() -> None:
    """User content reaches the DOM as text (textContent, createElement), never as markup."""
    pattern = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write(ln)?)\b"
                         r"|setAttribute\(\s*['\"](style|on\w+)['\"]")
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in script_files()
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_own_scripts_are_modules_that_share_nothing_through_window() -> None:
    """static/ holds ES modules: templates load them as type="module" (imports do the rest),
    and no script hangs anything on window; third-party libraries are only read from it."""
    own = re.compile(r"<script\b[^>]*url_for\('static'[^>]*>")
    classic = [f"{path.relative_to(ROOT)}: {tag}" for path in template_files()
               for tag in own.findall(path.read_text()) if 'type="module"' not in tag]
    assert classic == []
    assigned = re.compile(r"\bwindow\.[\w$]+\s*=(?!=)")
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in script_files()
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if assigned.search(line)]
    assert offenders == []


def test_nothing_marks_text_as_safe_markup() -> None:
    """Autoescape does the work only if nothing opts out: no |safe, Markup() or autoescape off."""
    pattern = re.compile(r"\|\s*safe\b|Markup\(|autoescape\s+false", re.IGNORECASE)
    sources = [*template_files(), *sorted((ROOT / "circles").rglob("*.py")),
               *sorted((ROOT / "realtime").rglob("*.py"))]
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in sources
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_a_hostile_name_is_escaped_on_the_page(
        app: Flask, client: FlaskClient, make_user: Callable[..., Any]) -> None:
    assert app.jinja_env.autoescape("page.html") is True  # type: ignore[operator]
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    user = make_user(display_name=hostile)
    AuthActions(client).login(user.email)
    html = client.get("/profile").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_post_form_helper_still_works_after_rotation(
        client: FlaskClient, auth: AuthActions, world: World) -> None:
    """The form a member loads after logging in carries the new token, and it is accepted."""
    auth.login(world.email("member"))
    response = post_form(client, "/notifications/read-all", page="/notifications")
    assert response.status_code == 302
