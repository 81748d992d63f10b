"""Accounts in a real browser (issue 16): a password forgotten and reset ends the old logins;
a password changed in one browser ends the other browser's login and its live socket within
2 s; an import naming someone who already uses Circles invites them, and they join only by
accepting. (Sign up → verify → join is tests/browser/test_newcomer.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import emailed_link, log_in, sign_up, verify_email
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

KIM = {"name": "Kim Osei", "email": "kim.osei@example.org", "password": "first long secret",
       "timezone": "Africa/Accra"}
LEAD = {"name": "Lea Facil", "email": "lea@example.org", "password": "lead long secret",
        "timezone": "Pacific/Chatham"}
NEW_PASSWORD = "second long secret"


def signed_up(page: Page, server: LiveServer, person: dict[str, str]) -> None:
    sign_up(page, **person)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    verify_email(page, server, person["email"])


def is_logged_out(page: Page) -> None:
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login"))


def test_forgot_password_reset_ends_the_old_logins(live: LiveServer, new_page: NewPage) -> None:
    laptop, phone = new_page(live.url), new_page(live.url)
    signed_up(laptop, live, KIM)
    log_in(phone, email=KIM["email"], password=KIM["password"])

    stranger = new_page(live.url)  # someone who forgot, on a third browser
    stranger.goto("/login")
    stranger.get_by_role("link", name="Forgot your password?").click()
    stranger.get_by_label("E-mail").fill(KIM["email"])
    stranger.get_by_role("button", name="Send me a link").click()
    expect(stranger.get_by_role("status").filter(has_text="If an account uses")).to_be_visible()

    stranger.goto(emailed_link(live, KIM["email"], "/reset/"))
    stranger.get_by_label("New password").fill(NEW_PASSWORD)
    stranger.get_by_role("button", name="Set my new password").click()
    expect(stranger.get_by_role("status").filter(has_text="Every other login")).to_be_visible()

    is_logged_out(laptop)
    is_logged_out(phone)
    log_in(laptop, email=KIM["email"], password=NEW_PASSWORD)


def test_password_change_ends_the_other_browser_and_its_socket_within_2_s(
        live: LiveServer, new_page: NewPage) -> None:
    here, there = new_page(live.url), new_page(live.url)
    signed_up(here, live, KIM)
    log_in(there, email=KIM["email"], password=KIM["password"])
    there.goto("/")
    expect(there.locator("html")).to_have_attribute("data-live", "connected")

    here.goto("/account")
    here.get_by_role("link", name="Where I'm logged in").click()
    expect(here.get_by_role("row")).to_have_count(3)  # a header and two logins
    here.goto("/account/password")
    here.get_by_label("Current password").fill(KIM["password"])
    here.get_by_label("New password").fill(NEW_PASSWORD)
    here.get_by_role("button", name="Change my password").click()
    expect(here.get_by_role("status").filter(has_text="Your password is changed")).to_be_visible()

    expect(there.locator("html")).not_to_have_attribute("data-live", "connected", timeout=2000)
    is_logged_out(there)
    here.goto("/account/logins")
    expect(here.get_by_role("row")).to_have_count(2)  # only this browser is left


def test_an_import_invites_an_existing_account_who_joins_by_accepting(
        live: LiveServer, new_page: NewPage) -> None:
    lead, kim = new_page(live.url), new_page(live.url)
    signed_up(kim, live, KIM)
    signed_up(lead, live, LEAD)
    lead.goto("/communities/new")
    lead.get_by_label("Name").fill("Harbour cohort")
    lead.get_by_role("button", name="Create the community").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Harbour cohort")
    lead.get_by_role("link", name=re.compile("Import members")).first.click()

    csv = f"name,email\nKim Osei,{KIM['email']}\nRae New,rae.new@example.org\n"
    lead.get_by_label("Members (CSV)").set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    lead.get_by_role("button", name="Check the files").click()
    rows = lead.get_by_role("row")
    expect(rows.filter(has_text=KIM["email"])).to_contain_text("ok")
    expect(rows.filter(has_text="rae.new@example.org")).to_contain_text("ok")
    lead.get_by_role("button", name="Import 2 members").click()
    expect(lead.get_by_text("2 people get a personal link")).to_be_visible()

    kim.goto("/")
    invitation = kim.get_by_role("region", name="Invitations")
    invitation.get_by_role("link", name="Harbour cohort invites you").click()
    expect(kim.get_by_role("heading", level=1)).to_have_text("Harbour cohort")
    kim.get_by_role("button", name="Accept and join").click()
    expect(kim.get_by_role("status").filter(has_text="Welcome to Harbour cohort")).to_be_visible()

    lead.goto("/")
    lead.get_by_role("region", name="My communities").get_by_role(
        "link", name="Harbour cohort").click()
    expect(lead.get_by_text(KIM["name"]).first).to_be_visible()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/St_Johns"])
def test_sign_up_starts_in_the_browsers_time_zone(live: LiveServer, browser: Browser,
                                                  zone: str) -> None:
    """Issue 17: a browser in Berlin was signed up in UTC. The form now starts in the
    browser's zone (an odd one too), and the account keeps it."""
    context = browser.new_context(base_url=live.url, timezone_id=zone)
    try:
        page = context.new_page()
        page.goto("/signup")
        expect(page.get_by_label("Time zone")).to_have_value(zone)
        page.get_by_label("Your name").fill("Zoe Zone")
        page.get_by_label("E-mail").fill(f"zoe.{zone.split('/')[1].lower()}@example.org")
        page.get_by_label("Password").fill("a long enough secret")
        page.get_by_role("button", name="Create my account").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.goto("/profile")
        expect(page.get_by_label("Time zone", exact=True)).to_have_value(zone)
    finally:
        context.close()
