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
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

from tests.browser.pages import sign_up, verify_email
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "a long enough secret"
SOLVE_TIMEOUT_MS = 90_000
COMMUNITY = "Harbour programme"
VIDEO_LINK = "https://meet.example.org/harbour-week-1"
ROOM = "Room 2, Harbour House"
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


#: Tables whose times are the server's own present (logins, server processes): left alone.
LIVING = {"login_session", "live_process", "api_token", "alembic_version"}


def weeks_pass(server: LiveServer, days: int) -> None:
    """Move every stored time back by ``days`` (not the logins' or the server's own): the
    programme is then as it would be ``days`` later — what was next week is now past."""
    shift = f"-{days} days"
    with closing(database(server)) as db, db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'") if name not in LIVING]
        for table in tables:
            for column in (row[1] for row in db.execute(f'PRAGMA table_info("{table}")')
                           if "DATETIME" in (row[2] or "").upper()):
                db.execute(f'UPDATE "{table}" SET "{column}" = datetime("{column}", ?) '
                           f'WHERE "{column}" IS NOT NULL', (shift,))


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


def circle_of(page: Page) -> tuple[int, str]:
    """The id and name of the one circle the person's dashboard lists."""
    page.goto("/")
    link = page.get_by_role("region", name="My circles").locator("a[href^='/circles/']")
    expect(link).to_have_count(1)
    href = link.get_attribute("href") or ""
    return int(href.rsplit("/", 1)[1]), link.inner_text().strip()


def plan_session(page: Page, circle: int, *, days: int, title: str, zone: str,
                 link: str = "", room: str = "") -> None:
    """Plan one session ``days`` from now, an hour later in the day, in ``zone``, with its
    place: when ``weeks_pass(days)`` it is still ahead, whatever the hour the test runs at
    (a fixed 18:30 would already be over on an evening run)."""
    starts = datetime.now(ZoneInfo(zone)) + timedelta(days=days, hours=1)
    page.goto(f"/circles/{circle}")
    page.get_by_role("link", name="Plan a session").click()
    page.get_by_label("Date").fill(starts.date().isoformat())
    page.get_by_label("Start time").fill(starts.strftime("%H:%M"))
    page.get_by_label("Time zone").select_option(zone)
    page.get_by_label("Title (optional)").fill(title)
    page.get_by_label("Video-call link (optional)").fill(link)
    page.get_by_label("Room or address (optional)").fill(room)
    page.get_by_role("button", name="Plan").click()
    expect(page.get_by_role("status").filter(has_text="Planned 1 session")).to_be_visible()


def feed_of(page: Page) -> str:
    """The person's calendar feed, as their calendar app reads it (lines unfolded)."""
    page.goto("/calendar")
    if page.get_by_role("button", name="Create my feed address").count():
        page.get_by_role("button", name="Create my feed address").click()
    url = page.get_by_label("Your feed address").input_value()
    return page.request.get(url).text().replace("\r\n ", "")


def event_of(feed: str, title: str) -> str:
    """The VEVENT of the feed whose summary names ``title`` ('' when there is none)."""
    for event in feed.split("BEGIN:VEVENT")[1:]:
        if title in event.split("END:VEVENT")[0]:
            return event.split("END:VEVENT")[0]
    return ""


def hand_facilitator_role(server: LiveServer, email: str, title: str) -> None:
    """The circle agrees that this member facilitates the session called ``title``: their
    role and the facilitator's change hands (as an accepted swap would)."""
    with closing(database(server)) as db, db:
        session_id, user_id = db.execute(
            'SELECT s.id, u.id FROM circle_session s, "user" u WHERE s.title = ? '
            "AND u.email = ?", (title, email)).fetchone()
        roles = dict(db.execute("SELECT role, user_id FROM session_role WHERE session_id = ?",
                                (session_id,)).fetchall())
        mine = next((role for role, uid in roles.items() if uid == user_id), None)
        if mine != "facilitator":
            db.execute("UPDATE session_role SET user_id = ? WHERE session_id = ? AND role = ?",
                       (roles.get("facilitator"), session_id, mine))
            db.execute("UPDATE session_role SET user_id = ? WHERE session_id = ? "
                       "AND role = 'facilitator'", (user_id, session_id))


def meet_in_the_live_room(page: Page, circle: int) -> None:
    """Open the circle's session in the live room, start it and end it."""
    page.goto(f"/circles/{circle}")
    page.get_by_role("link", name="Join live session").first.click()
    expect(page.locator("html")).to_have_attribute("data-room", "joined")
    page.locator("#start-session").click()
    expect(page.locator("#end-session")).to_be_visible()
    page.locator("#end-session").click()
    page.locator("#end-confirm").click()
    expect(page.get_by_test_id("summary")).to_be_visible()


def network_people(page: Page) -> str:
    """The words under My network's graph: everyone in the person's network."""
    page.goto("/network")
    people = page.locator("#network-people")
    expect(page.locator("#network-graph")).to_have_attribute("data-ready", "true")
    return people.text_content() or ""


def session_id(server: LiveServer, title: str) -> int:
    """The id of the session called ``title`` (as a bookmark or an old e-mail would hold it)."""
    with closing(database(server)) as db:
        (found,) = db.execute("SELECT id FROM circle_session WHERE title = ?", (title,)).fetchone()
    return int(found)


def calls_it_a_day(page: Page, circle: int, name: str) -> None:
    """A member leaves their circle (and asks to be placed in the next round)."""
    page.goto(f"/circles/{circle}")
    page.get_by_role("link", name="Call it a day").click()
    expect(page.get_by_label("Place me in the next formation round")).to_be_checked()
    page.get_by_role("button", name=f"Leave {name}").click()
    expect(page.get_by_text(f"You have left {name}.")).to_be_visible()


def names_in(page: Page, circle: int) -> list[str]:
    """The members a circle page lists (one article per member)."""
    page.goto(f"/circles/{circle}")
    return [name.strip() for name in
            page.locator("article.member > h2 > a").all_inner_texts()]


def test_a_programme_over_weeks_holds_together(browser: Browser, live: LiveServer,
                                               people: list[BrowserContext]) -> None:
    fay = open_browser(browser, live, FACILITATOR, people)
    links = facilitator_imports_twelve(fay, live)
    for person in ACTIVE:
        member_claims(open_browser(browser, live, person, people), person, links[person.email])
    ana, ravi, jo, lee = (person.page for person in ACTIVE)
    assert ana and ravi and jo and lee

    # Round 1: three circles of four; each active member finds exactly one circle.
    form_and_publish_round(fay, 4, 1)
    round_one = {person.email: circle_of(person.page) for person in ACTIVE if person.page}
    live_circle = round_one[ACTIVE[0].email][0]
    other = next(p for p in ACTIVE[1:] if round_one[p.email][0] != live_circle)
    assert other.page is not None
    met_circle = round_one[other.email][0]

    # Sessions with a place: Ana's circle meets by video, the other circle in a room; Ana
    # also plans a later session that round 2 will call off.
    plan_session(ana, live_circle, days=7, title="Week 1 live", zone=ACTIVE[0].zone,
                 link=VIDEO_LINK)
    plan_session(ana, live_circle, days=28, title="Week 4 live", zone=ACTIVE[0].zone)
    plan_session(other.page, met_circle, days=7, title="Week 1 room", zone=other.zone,
                 room=ROOM)
    upcoming = ana.locator("li.session", has_text="Week 1 live")
    expect(upcoming.get_by_role("link", name="Join the video call")).to_have_attribute(
        "href", VIDEO_LINK)
    week_one = event_of(feed_of(ana), "Week 1 live")
    assert f"URL:{VIDEO_LINK}" in week_one and "STATUS:CONFIRMED" in week_one, week_one
    assert "LOCATION:Room 2\\, Harbour House" in event_of(feed_of(other.page), "Week 1 room")

    # A week later Ana's circle meets in the live room (she facilitates).
    weeks_pass(live, 7)
    hand_facilitator_role(live, ACTIVE[0].email, "Week 1 live")
    meet_in_the_live_room(ana, live_circle)
    # Two days on, the other circle (not in the live room) is asked whether it met.
    weeks_pass(live, 2)
    other.page.goto("/")
    question = other.page.get_by_role("region", name="Did your circle meet?")
    question.get_by_role("button", name="We met").click()
    expect(other.page.get_by_role("status").filter(
        has_text="your circle's meeting is recorded")).to_be_visible()
    ana.goto("/")
    expect(ana.get_by_role("region", name="Did your circle meet?")).to_have_count(0)

    # Ties count once people have met: the room circle's four met (confirmed); Ana met nobody
    # in hers (the others never came to the live room).
    mates = [n for n in names_in(other.page, met_circle) if other.name not in n]
    assert len(mates) == 3, mates
    seen = network_people(other.page)
    for mate in mates:
        assert mate in seen, (mate, seen)
    ana_mates = [n for n in names_in(ana, live_circle) if ACTIVE[0].name not in n]
    seen = network_people(ana)
    for mate in ana_mates:
        assert mate not in seen, (mate, seen)

    # Lee calls it a day; his circle carries on with three.
    lee_circle, lee_circle_name = round_one[ACTIVE[3].email]
    calls_it_a_day(lee, lee_circle, lee_circle_name)
    assert my_circles(lee) == []

    # Round 2, in trios (four circles of four would have to seat two old circle-mates
    # together), published with the default choice: round 1's circles close.
    weeks_pass(live, 14)
    form_and_publish_round(fay, 3, 2)
    for person in ACTIVE:
        assert person.page is not None
        now_in, name = circle_of(person.page)
        assert now_in != round_one[person.email][0], (person.name, name)
        assert not name.startswith("Round"), name  # a name people would choose, not a number
        person.page.goto("/notifications")
        expect(person.page.get_by_role("main")).to_contain_text(name)

    # Ana's round-1 circle is closed everywhere: its page, its planning, the live room of the
    # session it had ahead, her calendar feed.
    ana.goto(f"/circles/{live_circle}")
    expect(ana.get_by_test_id("circle-closed").or_(ana.locator(".circle-closed")).first
           ).to_contain_text("This circle closed on")
    expect(ana.get_by_role("link", name="Plan a session")).to_have_count(0)
    expect(ana.get_by_role("link", name="Join live session")).to_have_count(0)
    expect(ana.locator(".called-off-sessions")).to_contain_text("Week 4 live")
    answer = ana.goto(f"/sessions/{session_id(live, 'Week 4 live')}/live")
    assert answer is not None and answer.status == 410, answer and answer.status
    expect(ana.get_by_role("main")).to_contain_text("was called off because")
    week_four = event_of(feed_of(ana), "Week 4 live")
    assert "STATUS:CANCELLED" in week_four, week_four
    ana.goto("/notifications")
    expect(ana.get_by_role("main")).to_contain_text("called off")

    # The facilitator's report numbers the rounds as the formation page does, and says how
    # many of round 1's circles met in their first two weeks.
    fay.goto("/")
    fay.get_by_role("region", name="My communities").get_by_role("link", name=COMMUNITY).click()
    community = int(fay.url.rstrip("/").rsplit("/", 1)[1])
    fay.goto(f"/communities/{community}/network")
    figures = fay.locator("#community-network table")
    expect(figures.get_by_role("row").filter(has_text="Round 1")).to_contain_text("of 3")
    expect(figures.get_by_role("row").filter(has_text="Round 2")).to_have_count(1)
    expect(figures).not_to_contain_text("Round 3")
