"""Take the README's screenshot: a demo member's circle page at 1280×900.

Run by hand from the project folder (not a test): ``.venv/bin/python -m tests.browser.screenshot``.
It starts a live server on a throw-away database, loads the demo, logs in as the first demo
member the welcome page lists, opens their circle and writes ``docs/screenshot.png``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import ViewportSize, expect, sync_playwright

from tests.browser.pages import demo_login, launch_chromium, load_demo, log_in
from tests.support.live import ROOT, LiveServer

TARGET = ROOT / "docs" / "screenshot.png"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


def take_screenshot(target: Path = TARGET) -> Path:
    """Serve the demo, open a member's circle page and save what the viewport shows."""
    with tempfile.TemporaryDirectory(prefix="circles-screenshot-") as folder:
        server = LiveServer(Path(folder), {})
        server.start()
        try:
            load_demo(server)
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    page = browser.new_page(base_url=server.url, viewport=VIEWPORT)
                    email, password = demo_login(page, "member")
                    log_in(page, email=email, password=password)
                    page.get_by_role("region", name="My circles").get_by_role("link").first.click()
                    expect(page.locator("html")).to_have_attribute("data-live", "connected")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(target))
                finally:
                    browser.close()
        finally:
            server.stop()
    return target


if __name__ == "__main__":
    print(f"wrote {take_screenshot()}")
