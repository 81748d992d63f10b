"""What a person does in the browser, written once: launch Chromium, sign up, log in; and the
demo community they find on a server started the way `make run` starts it.

Locators go by role and label, the way a person (or a screen reader) finds things, so a
page that loses a label or a button name fails here too.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, Playwright, expect

from tests.support.live import LiveServer, emailed_link, run_flask
from tests.support.services import require_chromium

# Debian's Chromium, never a downloaded one (`playwright install` is not used): headless,
# no sandbox (containers), and nothing that phones home during a test.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def launch_chromium(playwright: Playwright) -> Browser:
    """Start the system Chromium (skips outside CI, fails in CI, when it is missing)."""
    return playwright.chromium.launch(
        executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True
    )


def sign_up(page: Page, *, name: str, email: str, password: str, timezone: str) -> None:
    """From the front page: follow "Sign up", fill the form and send it."""
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Time zone").select_option(timezone)
    page.get_by_role("button", name="Create my account").click()


def verify_email(page: Page, server: LiveServer, email: str) -> None:
    """Open the verification link sent at sign-up and press its button."""
    page.goto(emailed_link(server, email, "/verify/"))
    page.get_by_role("button", name="Yes, this address is mine").click()
    expect(page.get_by_role("status").filter(has_text="your e-mail address is verified")
           ).to_be_visible()


def log_in(page: Page, *, email: str, password: str) -> None:
    """Log in through the login page and wait until the member is signed in."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # On a phone the button is folded away in the menu: present is enough.
    expect(page.get_by_role("button", name="Log out", include_hidden=True)).to_have_count(1)


def load_demo(server: LiveServer) -> None:
    """Load the demo community into a live server's database with ``flask demo load``."""
    code, output = run_flask(["demo", "load"], server.env)
    assert code == 0, f"`flask demo load` failed:\n{output[-4000:]}"


def demo_login(page: Page, role: str) -> tuple[str, str]:
    """``(email, password)`` of the first demo login for ``role`` the welcome page lists."""
    page.goto("/")
    table = page.get_by_role("region", name="Try the demo")
    cells = table.get_by_role("row").filter(has_text=role).first.get_by_role("cell")
    return cells.nth(0).inner_text().strip(), cells.nth(1).inner_text().strip()


#: True once the page has drawn what it fetches after loading (today only the network page
#: fetches its graph; its root says ``data-loaded="true"`` when drawn).
DRAWN = "() => { const n = document.getElementById('network'); " \
        "return !n || !n.dataset.url || n.dataset.loaded === 'true'; }"


def settled(page: Page) -> None:
    """Wait until the page has run its scripts and drawn what it fetched. (Playwright's
    ``networkidle`` does too, but only after half a second without a request on every page.)"""
    page.wait_for_load_state("load")
    page.wait_for_function(DRAWN)
