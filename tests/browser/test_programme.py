"""One programme over simulated weeks, in Chromium, as the people in it see it (issue 17).

A facilitator in London imports 12 members; four of them set up their accounts from their own
browsers in their own time zones (Berlin, Kolkata, St John's, Los Angeles). Round 1 is formed
and published; a session is planned with a video link; one circle meets in the live room,
another confirms afterwards that it met; a member calls it a day; round 2 is published. At
each step the test reads what each person is shown — circles, sessions, the calendar feed,
notifications, network ties, the facilitator's reports — and checks that nothing stale remains.

Time passes by moving the server's stored times back (``weeks_pass``): the server, the pages
and the feed then see the programme as it would be that many days later.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

from tests.browser.pages import sign_up, verify_email
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "a long enough secret"
SOLVE_TIMEOUT_MS = 90_000
COMMUNITY = "Harbour programme"
TOPICS = ["Negotiation", "Public speaking", "Grant writing", "Hiring", "Feedback",
          "Delegation"]


@dataclass
class Person:
    """Someone in the programme with their own browser (cookies and time zone)."""

    name: str
    email: str
    zone: str
    page: Page | None = None


FACILITATOR = Person("Fay Fraser", "fay.fraser@example.org", "Europe/London")
ACTIVE = [Person("Ana Becker", "ana.becker@example.org", "Europe/Berlin"),
          Person("Ravi Iyer", "ravi.iyer@example.org", "Asia/Kolkata"),
          Person("Jo Power", "jo.power@example.org", "America/St_Johns"),
          Person("Lee Park", "lee.park@example.org", "America/Los_Angeles")]
QUIET = [Person(f"Member {chr(65 + i)} Quiet", f"member.{chr(97 + i)}@example.org", "UTC")
         for i in range(8)]


def members_csv() -> str:
    """12 members with strengths, a question each and their time zones (no weekly hours:
    everyone can meet at any time, so formation is never short of a shared hour)."""
    lines = ["name,email,strengths,questions,timezone"]
    for i, person in enumerate(ACTIVE + QUIET):
        gives = f"{TOPICS[i % 6]}; {TOPICS[(i + 1) % 6]}"
        asks = f"{TOPICS[(i + 3) % 6]}: How do I get better at {TOPICS[(i + 3) % 6].lower()}?"
        lines.append(f"{person.name},{person.email},{gives},{asks},{person.zone}")
    return "\n".join(lines) + "\n"


def database(server: LiveServer) -> sqlite3.Connection:
    """The live server's SQLite database."""
    return sqlite3.connect(server.env["DATABASE_URL"].removeprefix("sqlite:///"))


def weeks_pass(server: LiveServer, days: int) -> None:
    """Move every stored session, round and circle time back by ``days``: the programme is
    then as it would be ``days`` later (what was next week is now past)."""
    shift = f"-{days} days"
    with closing(database(server)) as db, db:
        for table, columns in (("circle_session", ("starts_at", "started_at", "ended_at")),
                               ("circle", ("created_at",)),
                               ("formation_run", ("created_at", "published_at"))):
            present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column in present:
                    db.execute(f"UPDATE {table} SET {column} = datetime({column}, ?) "
                               f"WHERE {column} IS NOT NULL", (shift,))


def open_browser(browser: Browser, server: LiveServer, person: Person,
                 contexts: list[BrowserContext]) -> Page:
    """A browser of the person's own, in their time zone."""
    context = browser.new_context(base_url=server.url, timezone_id=person.zone,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    contexts.append(context)
    person.page = context.new_page()
    return person.page


@pytest.fixture
def people(browser: Browser, live: LiveServer) -> Iterator[list[BrowserContext]]:
    """The contexts opened in a test, closed at its end."""
    contexts: list[BrowserContext] = []
    yield contexts
    for context in contexts:
        context.close()


def facilitator_imports_twelve(page: Page, server: LiveServer) -> dict[str, str]:
    """Fay signs up, verifies, creates the community and imports the CSV; personal links by
    e-mail address."""
    sign_up(page, name=FACILITATOR.name, email=FACILITATOR.email, password=PASSWORD,
            timezone=FACILITATOR.zone)
    verify_email(page, server, FACILITATOR.email)
    page.goto("/communities/new")
    page.get_by_label("Name").fill(COMMUNITY)
    page.get_by_role("button", name="Create the community").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COMMUNITY)
    page.get_by_role("link", name=re.compile("Import members")).first.click()
    upload: FilePayload = {"name": "members.csv", "mimeType": "text/csv",
                           "buffer": members_csv().encode()}
    page.get_by_label("Members (CSV)").set_input_files(files=[upload])
    page.get_by_role("button", name="Check the files").click()
    page.get_by_role("button", name="Import 12 members").click()
    expect(page.get_by_text("12 people get a personal link")).to_be_visible()
    links = {}
    for person in ACTIVE + QUIET:
        links[person.email] = page.get_by_label(f"Personal link for {person.email}").input_value()
    return links


def member_claims(page: Page, person: Person, link: str) -> None:
    """A member opens their personal link in their own browser and sets a password."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {person.name}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("status").filter(has_text="Your account is ready")).to_be_visible()
    expect(page.get_by_label("Time zone", exact=True)).to_have_value(person.zone)


def form_and_publish_round(page: Page, size: int, round_number: int) -> None:
    """From the community page: Form circles of ``size``, wait for the preview, publish."""
    page.goto("/")
    page.get_by_role("region", name="My communities").get_by_role("link", name=COMMUNITY).click()
    page.get_by_role("link", name="Form circles", exact=True).click()
    page.get_by_label("Groups with a range of sizes").check()
    page.get_by_label("Smallest group").fill(str(size))
    page.get_by_label("Largest group").fill(str(size))
    page.get_by_role("button", name="Form circles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Preview: the circles Circles proposes", timeout=SOLVE_TIMEOUT_MS)
    page.get_by_role("button", name=f"Publish round {round_number}").click()
    expect(page.get_by_role("status").filter(has_text="Published")).to_be_visible()


def my_circles(page: Page) -> list[str]:
    """The names of the circles the dashboard lists under My circles."""
    page.goto("/")
    region = page.get_by_role("region", name="My circles")
    links = region.locator("a[href^='/circles/']")
    return [name.strip() for name in links.all_inner_texts()]


def test_a_programme_over_weeks_holds_together(browser: Browser, live: LiveServer,
                                               people: list[BrowserContext]) -> None:
    fay = open_browser(browser, live, FACILITATOR, people)
    links = facilitator_imports_twelve(fay, live)
    for person in ACTIVE:
        member_claims(open_browser(browser, live, person, people), person, links[person.email])

    # Round 1: three circles of four; each active member finds exactly one circle.
    form_and_publish_round(fay, 4, 1)
    round_one = {}
    for person in ACTIVE:
        assert person.page is not None
        circles = my_circles(person.page)
        assert len(circles) == 1, (person.name, circles)
        round_one[person.email] = circles[0]
