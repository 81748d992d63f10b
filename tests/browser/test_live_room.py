"""Three members run a short live session in three Chromium contexts, through the real
socket.io JS client: join from the circle page, check-in, an agenda built live (one item from
a member's own question, a reorder and a timebox edit seen by the others), the timekeeper's
timer counting down on every screen (and its signal at zero), a focus round with a typed
contribution marked as helped, feedback only its receiver reads, a commitment, the close and
the summary."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.models import CircleSession, Membership, Question, SessionRole, User, utcnow
from tests.browser.conftest import NewPage
from tests.support.live import PASSWORD, LiveServer, ServerFactory, http_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

NAMES = {"ada": "Ada Lovelace", "ben": "Ben Okri", "cy": "Cy Twombly"}
BEN_QUESTION = "How do I say no to my manager without souring things?"
SYNC_TIMEOUT = 10.0  # seconds for every screen to reach the same version


@dataclass
class Seat:
    """One member's browser on the room page."""

    name: str
    page: Page
    errors: list[str]

    @property
    def room(self) -> Locator:
        return self.page.locator("#live-room")

    def by_id(self, element_id: str) -> Locator:
        return self.page.locator(f"#{element_id}")

    def version(self) -> str:
        return self.room.get_attribute("data-version") or ""


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute")


def circle_with_session(server: LiveServer, names: dict[str, str] = NAMES) -> tuple[int, int]:
    """Sign ``names`` (the three, and whoever else is given) up through the real forms, then
    give them a circle and a session (Ada facilitates, Ben keeps time, Cy takes notes) and
    Ben a current question."""
    for key, name in names.items():
        http_session(server).signup(f"{key}@example.org", name)
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            ids = {key: db.execute(select(User.id).where(User.email == f"{key}@example.org"))
                   .scalar_one() for key in names}
            community = create_community(db, db.get_one(User, ids["ada"]), name="Live cohort")
            for key in names.keys() - {"ada"}:
                db.add(Membership(community=community, user_id=ids[key], role="member"))
            db.flush()
            circle = create_circle(db, community, db.get_one(User, ids["ada"]),
                                   name="Night owls", member_ids=list(ids.values()))
            session = CircleSession(circle_id=circle.id, title="First session",
                                    starts_at=utcnow())
            session.roles = [SessionRole(role="facilitator", user_id=ids["ada"]),
                             SessionRole(role="timekeeper", user_id=ids["ben"]),
                             SessionRole(role="note_taker", user_id=ids["cy"])]
            db.add_all([session, Question(user_id=ids["ben"], text=BEN_QUESTION)])
            db.commit()
            return circle.id, session.id
    finally:
        engine.dispose()


def open_room(new_page: NewPage, server: LiveServer, key: str, circle_id: int,
              link: str = "Join live session") -> Seat:
    """Log in, open the circle page and follow its ``link`` to the session's room (for an
    ended session, its "Summary")."""
    page = new_page(server.url)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/login")
    page.get_by_label("E-mail").fill(f"{key}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"/circles/{circle_id}")
    page.get_by_role("link", name=link).click()
    expect(page.locator("html")).to_have_attribute("data-room", "joined")
    return Seat(key, page, errors)


@pytest.fixture
def seats(new_page: NewPage, server: LiveServer) -> Iterator[dict[str, Seat]]:
    circle_id, _session_id = circle_with_session(server)
    found = {key: open_room(new_page, server, key, circle_id) for key in NAMES}
    found["cy"].page.set_viewport_size({"width": 390, "height": 844})  # Cy is on a phone
    yield found
    for seat in found.values():
        assert seat.errors == [], f"{seat.name}'s page reported errors: {seat.errors}"


def in_step(seats: dict[str, Seat]) -> None:
    """Wait until every screen has applied the same latest version of the room."""
    deadline = time.monotonic() + SYNC_TIMEOUT
    while True:
        versions = {seat.version() for seat in seats.values()}
        if len(versions) == 1 and "" not in versions:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"screens disagree on the room's version: {versions}")
        time.sleep(0.05)


def advance(seats: dict[str, Seat], stage_line: str) -> None:
    """Ada (the facilitator) moves on once everyone is in step; all see the new stage."""
    in_step(seats)
    seats["ada"].by_id("advance").click()
    for seat in seats.values():
        expect(seat.by_id("stage-line")).to_contain_text(stage_line)
    in_step(seats)


def agenda_titles(seat: Seat) -> Locator:
    return seat.by_id("agenda").locator(".title")


def test_three_members_run_a_short_session_live(seats: dict[str, Seat]) -> None:
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    everyone = list(seats.values())
    for seat in everyone:
        expect(seat.by_id("members").locator('li[data-presence="here"]')).to_have_count(3)
        member = seat.by_id("members").locator("li").filter(has_text=NAMES["ben"])
        expect(member.locator('[data-role="timekeeper"]')).to_be_visible()
    expect(ada.by_id("start-session")).to_be_visible()
    expect(ben.by_id("facilitator-controls")).to_be_hidden()  # controls follow the role

    check_in(seats)
    build_agenda(seats)
    focus_round_with_the_timer(seats)
    feedback_round(seats)

    advance(seats, "Commitments")
    cy.by_id("commit-text").fill("Ask for the raise on Friday")
    cy.by_id("commit-send").click()
    for seat in everyone:
        expect(seat.by_id("commitments-made")).to_contain_text("Ask for the raise on Friday")

    advance(seats, "Close")
    ben.by_id("contribute-kind").select_option("appreciation")
    ben.by_id("contribute-text").fill("Thank you all for the candour")
    ben.by_id("contribute-send").click()
    expect(ada.by_id("contributions")).to_contain_text("Thank you all for the candour")
    in_step(seats)
    ada.by_id("end-session").click()
    ada.by_id("end-confirm").click()
    summary(seats)
    # Phone width: nothing runs off the side of Cy's screen.
    assert cy.page.evaluate("document.documentElement.scrollWidth") <= 390


def check_in(seats: dict[str, Seat]) -> None:
    ada = seats["ada"]
    ada.by_id("start-session").click()
    for seat in seats.values():
        expect(seat.room).to_have_attribute("data-status", "live")
        expect(seat.room).to_have_attribute("data-phase", "checkin")
        bar = seat.by_id("phase-bar")
        expect(bar.locator("li")).to_have_count(7)
        expect(bar.locator('li[aria-current="step"]')).to_have_text(re.compile("^Check-in"))
    in_step(seats)
    ada.by_id("prompt-text").fill("One word for your week?")
    ada.by_id("prompt-form").get_by_role("button", name="Change prompt").click()
    expect(seats["cy"].by_id("phase-prompt")).to_have_text("One word for your week?")
    order = ["ada", "ben", "cy"]  # one turn each, in seat order
    for turn, key in enumerate(order, start=1):
        seat = seats[key]
        for other in seats.values():
            expect(other.by_id("stage-line")).to_contain_text(f"{turn} of 3")
        expect(seat.by_id("stage-line")).to_contain_text("your turn")
        seat.by_id("contribute-text").fill(f"{key}: hopeful")
        seat.by_id("contribute-send").click()
        for other in seats.values():
            expect(other.by_id("contributions")).to_contain_text(f"{key}: hopeful")
        if turn < len(order):
            advance(seats, f"{turn + 1} of 3")
    for seat in seats.values():
        seat.by_id("ready-toggle").click()
    expect(ada.by_id("ready-count")).to_contain_text("Ready: 3 of 3 here")
    # Nobody has commitments to review yet, so the review phase is passed by.
    advance(seats, "Agenda")


def build_agenda(seats: dict[str, Seat]) -> None:
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    for seat in seats.values():
        expect(seat.by_id("members").locator('li[data-ready="true"]')).to_have_count(0)
    ben.by_id("agenda-question").get_by_role("button", name="Put it on the agenda").click()
    cy.by_id("agenda-title").fill("Asking for a raise")
    cy.by_id("agenda-minutes").fill("5")
    cy.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    for seat in seats.values():
        expect(agenda_titles(seat)).to_have_text([BEN_QUESTION, "Asking for a raise"])
    # A refused edit is explained next to the control that caused it.
    ada.by_id("agenda-title").fill("   ")
    ada.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    expect(ada.by_id("agenda-title-error")).to_have_text("The title cannot be empty.")

    # Cy's connection drops: "reconnecting…" until the new join's catch-up, which brings
    # the reorder Ada makes meanwhile (the changes missed, not a whole snapshot).
    cy.page.evaluate("import('/static/live.js').then((live) => live.liveSocket().io.engine.close())")
    expect(cy.page.locator("html")).to_have_attribute("data-room", "reconnecting")
    expect(cy.by_id("room-connection")).to_have_text("Reconnecting…")
    first = ada.by_id("agenda").get_by_test_id("agenda-item").first
    first.get_by_role("button", name="Move down").click()
    expect(cy.page.locator("html")).to_have_attribute("data-room", "joined")
    expect(cy.room).to_have_attribute("data-last-sync", "events")
    for seat in seats.values():
        expect(agenda_titles(seat)).to_have_text(["Asking for a raise", BEN_QUESTION])
        expect(seat.by_id("members").locator('li[data-presence="here"]')).to_have_count(3)
    # One broadcast never reaches Cy: the next one is held back until the gap is fetched.
    cy.page.evaluate("""async () => {
        const socket = (await import("/static/live.js")).liveSocket();
        const { onChanged } = await import("/static/room/state.js");
        if (!socket.listeners("live:changed").includes(onChanged)) {
            throw new Error("not the room's socket and handler");
        }
        socket.off("live:changed", onChanged);
        socket.on("live:changed", function lost() {
            socket.off("live:changed", lost);
            socket.on("live:changed", onChanged);
        });
    }""")
    first = ada.by_id("agenda").get_by_test_id("agenda-item").first
    first.get_by_role("button", name="Move down").click()
    expect(agenda_titles(ada)).to_have_text([BEN_QUESTION, "Asking for a raise"])
    first = ada.by_id("agenda").get_by_test_id("agenda-item").first
    first.get_by_role("button", name="Move down").click()
    for seat in seats.values():
        expect(agenda_titles(seat)).to_have_text(["Asking for a raise", BEN_QUESTION])
        expect(seat.room).to_have_attribute("data-version", ada.version())
    bens_item = cy.by_id("agenda").get_by_test_id("agenda-item").filter(has_text=BEN_QUESTION)
    bens_item.get_by_test_id("agenda-timebox").fill("7")
    bens_item.get_by_test_id("agenda-timebox").press("Tab")
    expect(ben.by_id("agenda").get_by_test_id("agenda-item").filter(has_text=BEN_QUESTION)
           .get_by_test_id("agenda-timebox")).to_have_value("7")
    advance(seats, "Focus rounds")


def focus_round_with_the_timer(seats: dict[str, Seat]) -> None:
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    for seat in seats.values():
        expect(seat.by_id("stage-line")).to_contain_text("“Asking for a raise”")
        member = seat.by_id("members").locator("li").filter(has_text=NAMES["cy"])
        expect(member.locator('[data-role="focus"]')).to_be_visible()
    expect(cy.by_id("timer-controls")).to_be_hidden()
    expect(ben.by_id("timer-minutes")).to_have_value("5")  # the item's timebox
    ben.by_id("timer-start").click()
    before = {}
    for seat in seats.values():
        expect(seat.by_id("timer")).to_have_attribute("data-state", "running")
        expect(seat.by_id("timer")).to_have_text(re.compile(r"^0[45]:\d\d$"))
        before[seat.name] = int(seat.by_id("timer").get_attribute("data-remaining") or 0)
    time.sleep(1.2)
    for seat in seats.values():  # counting down locally on every screen
        now = int(seat.by_id("timer").get_attribute("data-remaining") or 0)
        assert 0 < now < before[seat.name] - 500, (seat.name, before[seat.name], now)

    ben.by_id("contribute-kind").select_option("story")
    ben.by_id("contribute-text").fill("When I asked, I brought three numbers")
    ben.by_id("contribute-send").click()
    story = cy.by_id("contributions").locator("li").filter(has_text="three numbers")
    expect(story).to_contain_text("Story")
    expect(ada.by_id("contributions").get_by_role("button", name="This helped")).to_have_count(0)
    story.get_by_role("button", name="This helped").click()
    for seat in seats.values():
        expect(seat.by_id("contributions").locator('li[data-helped="true"]')).to_contain_text(
            "three numbers")

    # Notes autosave as people type: the shared one reaches everyone, a private one nobody.
    cy.by_id("note-shared").fill("Raise: bring three numbers")
    ben.by_id("note-private").fill("Ask Cy how the raise went")
    expect(ben.by_id("note-private-status")).to_have_text("Saved.")
    for seat in (ada, ben):
        expect(seat.by_id("note-shared")).to_have_value("Raise: bring three numbers")
    for seat in (ada, cy):
        expect(seat.by_id("note-private")).to_have_value("")

    # A short run of the timer through the same client shows the gentle signal at zero.
    in_step(seats)
    ack = ben.page.evaluate("""(sid) => import("/static/live.js").then((live) => new Promise(
        (done) => live.liveSocket().emit("live:timer",
                                         {session_id: sid, action: "start", seconds: 1}, done)))""",
                            int(ben.room.get_attribute("data-session-id") or 0))
    assert ack["ok"] is True, ack
    for seat in seats.values():
        expect(seat.by_id("timer")).to_have_attribute("data-state", "done")
        expect(seat.by_id("timer-signal")).to_be_visible()
        expect(seat.by_id("timer")).to_have_text("00:00")

    advance(seats, BEN_QUESTION)
    expect(ben.by_id("stage-line")).to_contain_text("your turn")
    advance(seats, "Feedback")


def feedback_round(seats: dict[str, Seat]) -> None:
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    to_ben = feedback_form(ada, NAMES["ben"])
    to_ben.get_by_label(f"A strength you noticed in {NAMES['ben']}").fill("You listen closely")
    to_ben.get_by_label(f"One suggestion for {NAMES['ben']}").fill("Say your view sooner")
    to_ben.get_by_role("button", name=f"Give feedback to {NAMES['ben']}").click()
    expect(to_ben).to_have_attribute("data-given", "true")
    to_ada = feedback_form(ben, NAMES["ada"])
    to_ada.get_by_label(f"A strength you noticed in {NAMES['ada']}").fill("Clear framing")
    to_ada.get_by_label(f"One suggestion for {NAMES['ada']}").fill("Leave more silence")
    to_ada.get_by_role("button", name=f"Give feedback to {NAMES['ada']}").click()

    expect(ben.by_id("feedback-received")).to_contain_text("You listen closely")
    expect(ben.by_id("feedback-received")).to_contain_text("From " + NAMES["ada"])
    expect(ada.by_id("feedback-received")).to_contain_text("Leave more silence")
    expect(cy.by_id("feedback-progress")).to_contain_text("2 of 6")
    in_step(seats)
    # Only the receiver reads it: the third member's page never holds the words.
    content = cy.page.content()
    for words in ("You listen closely", "Say your view sooner", "Clear framing"):
        assert words not in content, f"Cy can read feedback given to someone else: {words!r}"
    expect(cy.by_id("feedback-received-box")).to_be_hidden()


def feedback_form(seat: Seat, to: str) -> Locator:
    return seat.by_id("feedback-forms").locator("form").filter(
        has=seat.page.get_by_role("heading", name=f"To {to}", exact=True))


def summary(seats: dict[str, Seat]) -> None:
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    for seat in seats.values():
        expect(seat.room).to_have_attribute("data-status", "ended")
        panel = seat.page.get_by_test_id("summary")
        expect(panel).to_be_visible()
        expect(seat.by_id("summary-agenda").locator("li")).to_have_count(2)
        expect(seat.by_id("summary-agenda")).to_contain_text("Asking for a raise")
        expect(seat.by_id("summary-contributions")).to_contain_text("three numbers (helped)")
        expect(seat.by_id("summary-commitments")).to_contain_text("Ask for the raise on Friday")
        expect(seat.by_id("summary-attendees")).to_contain_text(NAMES["cy"])
        expect(seat.by_id("phase-panel")).to_be_hidden()
        expect(seat.by_id("phase-bar").locator('li[aria-current="step"]')).to_have_count(0)
        expect(seat.by_id("members").locator('li[data-presence="left"]')).to_have_count(3)
    expect(ben.by_id("summary-feedback")).to_contain_text("You listen closely")
    expect(ada.by_id("summary-feedback")).to_contain_text("Clear framing")
    expect(cy.by_id("summary-feedback")).to_have_text("None this time.")
    assert "You listen closely" not in cy.page.content()
    # The summary is there for a member who opens the room afterwards too.
    ada.page.reload()
    expect(ada.page.get_by_test_id("summary")).to_be_visible()
    expect(ada.by_id("summary-feedback")).to_contain_text("Clear framing")
    expect(ada.by_id("note-shared")).to_have_value("Raise: bring three numbers")
    assert "Ask Cy how the raise went" not in ada.page.content()
