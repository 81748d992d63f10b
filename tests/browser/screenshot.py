"""Take the README's screenshots from the demo community, on a phone and on a laptop.

Run by hand from the project folder (not a test): ``.venv/bin/python -m tests.browser.screenshot``.
It starts a live server on a throw-away database, loads the demo, gives the first demo member's
circle a session that is starting now (which that member starts), and, logged in as that member,
writes into ``docs/screenshots/`` the dashboard, the circle page, the live room and My network at 390×844
(``*-phone.png``) and 1280×800 (``*-desktop.png``), plus ``docs/screenshot.png`` (the circle
page at 1280×900, at the top of the README). Each picture is what the viewport shows. Where
``pngquant`` is installed (``apt-get install pngquant``) the files are squeezed with it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright
from sqlalchemy import select

from tests.browser.pages import demo_login, launch_chromium, load_demo, log_in
from tests.support.live import ROOT, LiveServer, app_on

TARGET = ROOT / "docs" / "screenshot.png"
FOLDER = ROOT / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
SIZES: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844},
                                  "desktop": {"width": 1280, "height": 800}}


def plan_session(server: LiveServer, email: str) -> tuple[int, int]:
    """``(circle id, session id)``: a session of ``email``'s circle that began a minute ago,
    with its members in the facilitator, timekeeper and note-taker roles."""
    from circles.extensions import orm
    from circles.models import CircleMember, CircleSession, SessionRole, User, utcnow

    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        db = orm.session
        user_id = db.scalar(select(User.id).where(User.email == email))
        circle_id = db.scalar(select(CircleMember.circle_id).where(
            CircleMember.user_id == user_id, CircleMember.left_at.is_(None)))
        members = list(db.scalars(select(CircleMember.user_id).where(
            CircleMember.circle_id == circle_id, CircleMember.left_at.is_(None))
            .order_by(CircleMember.id)))
        session = CircleSession(circle_id=circle_id, title="Session 3: saying no well",
                                starts_at=utcnow() - timedelta(minutes=1))
        session.roles = [SessionRole(role=role, user_id=member) for role, member in
                         zip(("facilitator", "timekeeper", "note_taker"), members, strict=False)]
        db.add(session)
        db.commit()
        return int(circle_id or 0), session.id


def open_as(browser: Browser, server: LiveServer, email: str, password: str,
            viewport: ViewportSize) -> Page:
    page = browser.new_page(base_url=server.url, viewport=viewport)
    log_in(page, email=email, password=password)
    return page


def shoot(page: Page, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover effect in the picture
    page.screenshot(path=str(target))
    squeeze(target)
    return target


def squeeze(target: Path) -> None:
    """Fewer colours, same look: pngquant where it is installed, otherwise the file as it is."""
    pngquant = shutil.which("pngquant")
    if pngquant:
        subprocess.run([pngquant, "--force", "--skip-if-larger", "--quality=70-95",
                        "--output", str(target), str(target)], check=False)


def take_screenshots(folder: Path = FOLDER, target: Path = TARGET) -> list[Path]:
    """Serve the demo and save the screenshots; returns the files written."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="circles-screenshot-") as workdir:
        server = LiveServer(Path(workdir), {})
        server.start()
        try:
            load_demo(server)
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    probe = browser.new_page(base_url=server.url)
                    email, password = demo_login(probe, "member")
                    probe.close()
                    circle_id, session_id = plan_session(server, email)
                    for size, viewport in SIZES.items():
                        page = open_as(browser, server, email, password, viewport)
                        written += shoot_pages(page, folder, size, circle_id, session_id)
                        page.close()
                    page = open_as(browser, server, email, password, VIEWPORT)
                    page.goto(f"/circles/{circle_id}")
                    expect(page.locator("html")).to_have_attribute("data-live", "connected")
                    written.append(shoot(page, target))
                finally:
                    browser.close()
        finally:
            server.stop()
    return written


def shoot_pages(page: Page, folder: Path, size: str, circle_id: int,
                session_id: int) -> list[Path]:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-live", "connected")
    dashboard = shoot(page, folder / f"dashboard-{size}.png")
    page.goto(f"/circles/{circle_id}")
    expect(page.locator("html")).to_have_attribute("data-live", "connected")
    circle = shoot(page, folder / f"circle-{size}.png")
    page.goto(f"/sessions/{session_id}/live")
    expect(page.locator("#live-room")).to_have_attribute("data-version", re.compile(r"\d+"))
    start = page.locator("#start-session")
    if start.is_visible():  # once, by the member who facilitates: the room at its first phase
        start.click()
        expect(page.locator("#live-room")).to_have_attribute("data-status", "live")
    page.wait_for_timeout(500)  # the people list settles once presence has gone round
    room = shoot(page, folder / f"live-room-{size}.png")
    page.goto("/network")
    expect(page.locator("#network-graph")).to_have_attribute("data-ready", "true")
    page.locator("#graph-title").evaluate("heading => heading.scrollIntoView()")
    network = shoot(page, folder / f"network-{size}.png")
    return [dashboard, circle, room, network]


if __name__ == "__main__":
    for path in take_screenshots():
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
