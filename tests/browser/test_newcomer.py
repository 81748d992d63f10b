"""The issue's story in a real browser: a newcomer signs up, says what they bring and what they
are working on, joins the demo community through its invite link, is placed in a circle by the
facilitator (live notice on their open dashboard) and sees their circle-mates' strengths."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import demo_login, load_demo, log_in, sign_up, verify_email
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

NEWCOMER = {"name": "Noor Haddad", "email": "noor.haddad@example.org",
            "password": "a long enough secret", "timezone": "Europe/Amsterdam"}
STRENGTHS = [  # (topic, what I can offer, experience)
    ("Grant writing", "Read a draft bid and mark what a panel will question", "expert"),
    ("Stakeholder mapping", "Sketch who decides, who advises and who is affected", "practised"),
]
QUESTIONS = [
    "How do I say no to a senior colleague without souring the relationship?",
    "What makes a first 90 days in a new team go well?",
]
CIRCLE_NAME = "Newcomer circle"


@pytest.fixture
def demo(live: LiveServer) -> LiveServer:
    """A live server whose database holds the demo community (loaded the way `make run` does)."""
    load_demo(live)
    return live


def strengths_in_db(server: LiveServer, display_name: str) -> list[tuple[str, str]]:
    """``(topic, offer)`` of a member's strengths, straight from the server's database."""
    path = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            'SELECT s.topic, s.offer FROM strength s JOIN "user" u ON u.id = s.user_id '
            "WHERE u.display_name = ? ORDER BY s.position", (display_name,)
        ).fetchall()
    return [(topic, offer) for topic, offer in rows]


def facilitator_opens_community(page: Page) -> str:
    """Log in with the facilitator login the welcome page lists; open the community; its name."""
    email, password = demo_login(page, "facilitator")
    log_in(page, email=email, password=password)
    page.get_by_role("region", name="My communities").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/communities/\d+$"))
    expect(page.get_by_role("heading", name="Run this community")).to_be_visible()
    return page.get_by_role("heading", level=1).inner_text().strip()


def add_profile(page: Page) -> None:
    """Add two strengths and two questions on the profile page, checking each appears."""
    strengths = page.get_by_role("region", name="Strengths I bring")
    for topic, offer, level in STRENGTHS:
        strengths.get_by_label("Topic", exact=True).fill(topic)
        strengths.get_by_label("What I can offer").fill(offer)
        strengths.get_by_label("Experience").select_option(level)
        strengths.get_by_role("button", name="Add strength").click()
        expect(strengths.get_by_role("listitem").filter(has_text=topic)).to_contain_text(offer)
        expect(page.get_by_role("status").filter(has_text="Strength added.")).to_be_visible()
    questions = page.get_by_role("region", name="Questions I am working on")
    for text in QUESTIONS:
        questions.get_by_label("What I am working on").fill(text)
        questions.get_by_role("button", name="Add question").click()
        expect(questions.get_by_role("listitem").filter(has_text=text)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="Question added.")).to_be_visible()
    expect(strengths.get_by_role("listitem")).to_have_count(len(STRENGTHS))
    expect(questions.get_by_role("listitem")).to_have_count(len(QUESTIONS))


def form_circle(page: Page, newcomer: str) -> list[str]:
    """As facilitator, form a circle of the newcomer and two demo members; their names."""
    page.get_by_role("link", name="Form a circle").click()
    page.get_by_label("Name (optional)").fill(CIRCLE_NAME)
    me = page.get_by_role("button", name="Log out").inner_text()
    mates: list[str] = []
    for label in page.get_by_role("group", name="Members").locator("label").all():
        name = label.inner_text().split(" — ")[0].strip()
        if name != newcomer and name not in me and len(mates) < 2:
            label.get_by_role("checkbox").check()
            mates.append(name)
    assert len(mates) == 2, f"the demo community offered too few members: {mates}"
    page.get_by_role("checkbox", name=newcomer).check()
    page.get_by_role("button", name="Form the circle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CIRCLE_NAME)
    return mates


def test_newcomer_joins_the_demo_and_sees_their_circle_mates_strengths(
    demo: LiveServer, new_page: NewPage
) -> None:
    facilitator, newcomer = new_page(demo.url), new_page(demo.url)
    community = facilitator_opens_community(facilitator)
    invite = facilitator.get_by_label("Invite link").input_value()
    assert re.fullmatch(rf"{re.escape(demo.url)}/join/[\w-]+", invite), invite

    sign_up(newcomer, **NEWCOMER)
    expect(newcomer).to_have_url(f"{demo.url}/profile")
    add_profile(newcomer)

    newcomer.goto(invite)
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(community)
    # Nobody joins under an address they have not shown is theirs (issue 16).
    expect(newcomer.get_by_text("first confirm your e-mail address")).to_be_visible()
    expect(newcomer.get_by_role("button", name=f"Join {community}")).to_have_count(0)
    verify_email(newcomer, demo, NEWCOMER["email"])
    newcomer.goto(invite)
    newcomer.get_by_role("button", name=f"Join {community}").click()
    expect(newcomer.get_by_role("status").filter(has_text=f"Welcome to {community}")).to_be_visible()

    newcomer.get_by_role("link", name="My circles").click()
    expect(newcomer.get_by_text("You are not in a circle yet")).to_be_visible()
    expect(newcomer.locator("html")).to_have_attribute("data-live", "connected")

    mates = form_circle(facilitator, NEWCOMER["name"])
    notice = newcomer.locator("#live-notice")
    expect(notice).to_contain_text(f"You were placed in a new circle: {CIRCLE_NAME}")

    newcomer.reload()
    newcomer.get_by_role("region", name="My circles").get_by_role("link", name=CIRCLE_NAME).click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(CIRCLE_NAME)
    for mate in mates:
        expected = strengths_in_db(demo, mate)
        assert expected, f"the demo gave {mate} no strengths"
        card = newcomer.get_by_role("article", name=mate)
        listed = card.locator("ul.strengths > li")
        expect(listed).to_have_count(len(expected))
        for item, (topic, offer) in zip(listed.all(), expected, strict=True):
            expect(item).to_contain_text(topic)
            expect(item).to_contain_text(offer)
    own = newcomer.get_by_role("article", name=NEWCOMER["name"])
    for topic, _offer, _level in STRENGTHS:
        expect(own.locator("ul.strengths")).to_contain_text(topic)
