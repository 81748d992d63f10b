"""The Content-Security-Policy in a real browser: the pages a member and a facilitator use —
the network graph (cytoscape), the community chart and the live room over a WebSocket —
run without a single violation, while an injected inline script is blocked and reported."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocket, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import demo_login, load_demo, log_in, settled
from tests.support.live import LiveServer, app_on
from tests.support.live_room import new_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

#: Runs before any page script: keeps every violation the page sees.
COLLECT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
"""


def plan_session(server: LiveServer, circle_id: int) -> int:
    """A session in the live server's database (the demo has none), through an app here."""
    with app_on(server.env["DATABASE_URL"]) as app:
        return new_session(app, circle_id, {})


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__csp")
    return found


def signed_in(new_page: NewPage, server: LiveServer, role: str) -> Page:
    page = new_page(server.url)
    page.add_init_script(COLLECT)
    email, password = demo_login(page, role)
    log_in(page, email=email, password=password)
    return page


def visit(page: Page, path: str) -> list[str]:
    page.goto(path)
    settled(page)
    return [f"{path}: {v}" for v in violations(page)]


def test_pages_run_without_csp_violations(live: LiveServer, new_page: NewPage) -> None:
    """One demo server for both people: loading the demo is the slow part."""
    load_demo(live)
    assert member_pages(signed_in(new_page, live, "member"), live) == []
    assert facilitator_pages(signed_in(new_page, live, "facilitator")) == []


def member_pages(page: Page, server: LiveServer) -> list[str]:
    found = visit(page, "/network")
    expect(page.locator("canvas").first).to_be_attached()  # cytoscape drew
    for path in ("/", "/profile", "/goals", "/commitments", "/journal", "/notifications",
                 "/introductions", "/calendar", "/endings"):
        found += visit(page, path)
    page.goto("/")
    circle = page.get_by_role("region", name="My circles").locator(
        "h3 > a[href^='/circles/']").first.get_attribute("href")
    assert circle and re.fullmatch(r"/circles/\d+", circle)
    found += visit(page, circle)
    session_id = plan_session(server, int(circle.rsplit("/", 1)[1]))
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto(f"/sessions/{session_id}/live")
    deadline = time.monotonic() + 10  # Socket.IO upgrades from polling to a WebSocket
    while not any(s.url.startswith("ws://") for s in sockets) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert any(s.url.startswith("ws://") for s in sockets), "no WebSocket opened: connect-src?"
    return found + [f"live room: {v}" for v in violations(page)]


def facilitator_pages(page: Page) -> list[str]:
    page.get_by_role("region", name="My communities").get_by_role("link").first.click()
    community = re.sub(r"^https?://[^/]+", "", page.url)
    found: list[str] = []
    for path in (community, f"{community}/import", f"{community}/formation/new",
                 f"{community}/network"):
        found += visit(page, path)
    expect(page.locator("canvas, svg").first).to_be_attached()  # the chart drew
    return found


def test_an_injected_inline_script_is_blocked_and_reported(live: LiveServer,
                                                          new_page: NewPage) -> None:
    page = new_page(live.url)
    page.add_init_script(COLLECT)
    reports: list[Any] = []
    page.on("request", lambda r: reports.append(r) if r.url.endswith("/csp-report") else None)
    page.goto("/login")
    ran = page.evaluate("""() => {
        window.__ran = false;
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.appendChild(s);
        return window.__ran;
    }""")
    assert ran is False
    page.wait_for_function("window.__csp.length > 0")
    assert violations(page)[0].startswith("script-src-elem inline")
    deadline = time.monotonic() + 5
    while not reports and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert reports, "the browser sent no report to /csp-report"
    deadline = time.monotonic() + 5  # the request left the browser: wait for the server's log
    while "csp_violation" not in live.log() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "csp_violation" in live.log()
