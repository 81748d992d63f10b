"""Bad input in a real browser: the problem shows next to its field, what was typed stays in
the form, and nothing is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import log_in, sign_up
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

MEMBER = {"name": "Ines Duarte", "email": "ines.duarte@example.org",
          "password": "a long enough secret", "timezone": "Europe/Lisbon"}
LONG_OFFER = ("I can review a plan and share what went wrong for me. " * 12)[:600]


def assert_error_next_to(page: Page, field: Locator, field_id: str, message: str) -> None:
    """The field is marked invalid, points at its error, and the error sits right below it."""
    error = page.locator(f"#{field_id}-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(message)
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described_by, described_by
    # Adjacent: inside the same .field wrapper, and just below the control on screen.
    same_field = "(el, id) => el.closest('.field') === document.getElementById(id).closest('.field')"
    assert field.evaluate(same_field, f"{field_id}-error"), f"{field_id}-error is not by its field"
    box, error_box = field.bounding_box(), error.bounding_box()
    assert box is not None and error_box is not None
    gap = error_box["y"] - (box["y"] + box["height"])
    assert 0 <= gap < 48, f"error for {field_id} is {gap:.0f}px from its field"


@pytest.mark.parametrize(("topic", "offer", "errors"), [
    pytest.param("", LONG_OFFER, {"strength-topic": "Name a topic",
                                  "strength-offer": "under 500 characters"},
                 id="empty-topic-and-long-offer"),
    pytest.param("Grant writing", LONG_OFFER, {"strength-offer": "under 500 characters"},
                 id="long-offer"),
])
def test_strength_with_bad_input_shows_the_error_by_its_field_and_saves_nothing(
    live: LiveServer, new_page: NewPage, topic: str, offer: str, errors: dict[str, str]
) -> None:
    page = new_page(live.url)
    sign_up(page, **MEMBER)
    expect(page).to_have_url(f"{live.url}/profile")
    strengths = page.get_by_role("region", name="Strengths I bring")
    fields = {"strength-topic": strengths.get_by_label("Topic", exact=True),
              "strength-offer": strengths.get_by_label("What I can offer")}
    fields["strength-topic"].fill(topic)
    # fill() enters text through the same editing path as typing (a maxlength would cut it
    # short just the same) without 600 key round trips.
    fields["strength-offer"].fill(offer)
    strengths.get_by_role("button", name="Add strength").click()

    for field_id, field in fields.items():
        if field_id in errors:
            assert_error_next_to(page, field, field_id, errors[field_id])
        else:
            expect(field).not_to_have_attribute("aria-invalid", "true")
    expect(fields["strength-topic"]).to_have_value(topic)  # nothing typed is lost
    expect(fields["strength-offer"]).to_have_value(offer)

    page.goto("/profile")
    strengths = page.get_by_role("region", name="Strengths I bring")
    expect(strengths.get_by_text("No strengths yet")).to_be_visible()
    expect(strengths.get_by_role("listitem")).to_have_count(0)
    expect(strengths.get_by_label("Topic", exact=True)).to_have_value("")
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)


def test_sign_up_with_a_bad_email_shows_the_error_and_creates_no_account(
    live: LiveServer, new_page: NewPage
) -> None:
    page = new_page(live.url)
    bad_email = MEMBER["email"].replace("@", "-at-")
    sign_up(page, **{**MEMBER, "email": bad_email})

    email = page.get_by_label("E-mail")
    assert_error_next_to(page, email, "email", "@-sign")
    expect(email).to_have_value(bad_email)
    expect(page.get_by_label("Your name")).to_have_value(MEMBER["name"])
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    for tried in (bad_email, MEMBER["email"]):  # neither spelling got an account
        page.goto("/login")
        page.get_by_label("E-mail").fill(tried)
        page.get_by_label("Password").fill(MEMBER["password"])
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#password-error")).to_contain_text("do not match")
        expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    log_in_works = new_page(live.url)  # control: the same steps log in a real account
    sign_up(log_in_works, **MEMBER)
    log_in_works.get_by_role("button", name="Log out").click()
    log_in(log_in_works, email=MEMBER["email"], password=MEMBER["password"])
