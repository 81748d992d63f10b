"""Every page a member has open holds one live-updates socket (static/live.js), and a page
that goes away gives its socket back at once: a member who moves through more pages than
their socket cap (realtime/slots.py) still gets live updates on the page they stop at, and
a page brought back from the browser's history connects again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.pages import sign_up
from tests.support.live import ServerFactory

pytestmark = [pytest.mark.browser, pytest.mark.live]

CAP = 3  # sockets a member may hold at once, lowered from 10 to make the test short
PAGES = ["/", "/profile", "/goals", "/network", "/notifications", "/journal", "/commitments",
         "/account"]


def test_moving_quickly_through_pages_never_runs_out_of_sockets(
        live_server_factory: ServerFactory, new_page: NewPage) -> None:
    server = live_server_factory(FLASK_SOCKETIO_MAX_SOCKETS_PER_MEMBER=str(CAP),
                                 FLASK_SOCKETIO_MAX_SOCKETS_PER_LOGIN=str(CAP))
    page = new_page(server.url)
    sign_up(page, name="Quick Mover", email="quick@example.org",
            password="a long enough secret", timezone="Asia/Kathmandu")
    root = page.locator("html")
    for path in PAGES * 2:  # each page left as soon as it has loaded, connected or not
        page.goto(path)
    expect(root).to_have_attribute("data-live", "connected")
    for path in PAGES[:CAP + 2]:  # and each left once its socket is connected
        page.goto(path)
        expect(root).to_have_attribute("data-live", "connected")
    page.go_back()
    expect(root).to_have_attribute("data-live", "connected")
