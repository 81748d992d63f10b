"""The live room by keyboard alone, and what it says aloud.

Ada runs a whole session without the mouse — Tab, Enter, Space and typing only: she logs in,
joins from the circle page, starts, contributes, builds and reorders the agenda (move
buttons, no dragging), starts and stops the timer, gives feedback, commits and closes. Every
control she reaches shows a focus indicator, a full Tab walk of the room comes back to where
it began (no trap), and each change that arrives live — a stage, whose turn it is, someone
joining or leaving, the timer's last minute and its end — is written into the room's polite
live region (refusals into role=alert lines), where a screen reader reads it.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.a11y import focused
from tests.browser.conftest import NewPage
from tests.browser.test_live_room import NAMES, circle_with_session, in_step, open_room
from tests.support import live
from tests.support.live import PASSWORD, LiveServer, ServerFactory

pytestmark = [pytest.mark.browser, pytest.mark.live]

MAX_TABS = 200


@pytest.fixture
def server(live_server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    # On a machine shared by many test runs a cold start can pass the usual 20 s.
    monkeypatch.setattr(live, "START_TIMEOUT", 90.0)
    # A member whose connection is gone counts as away after 1 s (30 s by default).
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute",
                               FLASK_LIVE_FACILITATOR_GRACE="1")


class Keyboard:
    """Moves the focus with Tab only, checking the focus indicator at every stop."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unringed: set[str] = set()
        self.reached: set[str] = set()

    def _note(self) -> dict[str, Any] | None:
        now = focused(self.page)
        if now is not None:
            name = f"{now['tag']}#{now['id']} {now['text']!r}"
            self.reached.add(name)
            if not now["ring"]:
                self.unringed.add(name)
        return now

    def to(self, target: Locator) -> None:
        """Tab (forwards, wrapping round the page) until ``target`` has the focus."""
        expect(target).to_be_visible()
        for _ in range(MAX_TABS):
            if target.evaluate("el => el === document.activeElement"):
                self._note()
                return
            self.page.keyboard.press("Tab")
            self._note()
        pytest.fail(f"Tab never reached {target}")

    def press(self, target: Locator, key: str = "Enter") -> None:
        self.to(target)
        self.page.keyboard.press(key)

    def type(self, target: Locator, text: str) -> None:
        self.to(target)
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(text)


def said(page: Page) -> Locator:
    return page.get_by_test_id("room-announcer")


def keyboard_join(page: Page, circle_id: int) -> Keyboard:
    keys = Keyboard(page)
    page.goto("/login")
    keys.type(page.get_by_label("E-mail"), "ada@example.org")
    keys.type(page.get_by_label("Password"), PASSWORD)
    keys.press(page.get_by_role("button", name="Log in"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"/circles/{circle_id}")
    keys.press(page.get_by_role("link", name="Join live session"))
    expect(page.locator("html")).to_have_attribute("data-room", "joined", timeout=15_000)
    return keys


def test_a_whole_session_by_keyboard_with_changes_announced(new_page: NewPage,
                                                             server: LiveServer) -> None:
    circle_id, _ = circle_with_session(server)
    page = new_page(server.url)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    keys = keyboard_join(page, circle_id)
    by_id = lambda element_id: page.locator(f"#{element_id}")
    region = said(page)
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_attribute("aria-live", "polite")

    # Someone joining is said.
    ben = open_room(new_page, server, "ben", circle_id)
    expect(region).to_contain_text(f"{NAMES['ben']} joined.")
    cy = open_room(new_page, server, "cy", circle_id)
    expect(region).to_contain_text(f"{NAMES['cy']} joined.")
    seats = {"ada": page, "ben": ben.page, "cy": cy.page}

    keys.press(by_id("start-session"))
    expect(by_id("live-room")).to_have_attribute("data-phase", "checkin")
    # The stage and whose turn it is, said on every screen.
    expect(region).to_contain_text("Check-in · 1 of 3 · your turn")
    expect(said(ben.page)).to_contain_text(f"Check-in · 1 of 3 · {NAMES['ada']}’s turn")
    keys.type(by_id("contribute-text"), "Hopeful")
    keys.press(by_id("contribute-send"))
    expect(by_id("contributions")).to_contain_text("Hopeful")
    for turn in (2, 3):
        advance(keys, seats)
        expect(said(ben.page if turn == 2 else cy.page)).to_contain_text(
            f"Check-in · {turn} of 3 · your turn")
    advance(keys, seats)
    expect(by_id("stage-line")).to_contain_text("Agenda")
    expect(region).to_contain_text("Agenda")

    # The agenda: two items, a refusal spoken at once, a reorder with the move buttons.
    keys.type(by_id("agenda-title"), "   ")
    keys.press(page.get_by_role("button", name="Add to the agenda"))
    expect(by_id("agenda-title-error")).to_have_text("The title cannot be empty.")
    expect(by_id("agenda-title-error")).to_have_attribute("role", "alert")
    for title, minutes in (("Saying no", "5"), ("Asking for a raise", "5")):
        keys.type(by_id("agenda-title"), title)
        keys.type(by_id("agenda-minutes"), minutes)
        keys.press(page.get_by_role("button", name="Add to the agenda"))
        expect(by_id("agenda").locator(".title").last).to_have_text(title)
    first = by_id("agenda").get_by_test_id("agenda-item").first
    keys.press(first.get_by_role("button", name="Move down"))
    expect(by_id("agenda").locator(".title")).to_have_text(["Asking for a raise", "Saying no"])
    advance(keys, seats)

    # Focus round: a contribution, the timer started and stopped from the keyboard.
    expect(region).to_contain_text("Focus rounds · 1 of 2 · “Asking for a raise”")
    keys.type(by_id("contribute-text"), "What would you ask for first?")
    keys.press(by_id("contribute-send"))
    expect(by_id("contributions")).to_contain_text("What would you ask for first?")
    keys.press(by_id("timer-start"))
    expect(by_id("timer")).to_have_attribute("data-state", "running")
    keys.press(by_id("timer-stop"))
    expect(by_id("timer")).to_have_attribute("data-state", "idle")
    timer_announcements(page, seats)
    # The countdown can be hidden (Space on the checkbox), and the choice is remembered.
    keys.press(by_id("timer-hide"), " ")
    expect(by_id("timer")).to_be_hidden()
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-room", "joined")
    expect(by_id("timer-hide")).to_be_checked()
    expect(by_id("timer")).to_be_hidden()
    keys.press(by_id("timer-hide"), " ")
    expect(by_id("timer")).to_be_visible()
    advance(keys, seats)
    advance(keys, seats)

    # Feedback to Ben, by keyboard.
    expect(by_id("stage-line")).to_contain_text("Feedback")
    form = by_id("feedback-forms").locator("form").filter(
        has=page.get_by_role("heading", name=f"To {NAMES['ben']}", exact=True))
    keys.type(form.get_by_label(f"A strength you noticed in {NAMES['ben']}"), "You listen")
    keys.type(form.get_by_label(f"One suggestion for {NAMES['ben']}"), "Speak sooner")
    keys.press(form.get_by_role("button", name=f"Give feedback to {NAMES['ben']}"))
    expect(form).to_have_attribute("data-given", "true")
    expect(ben.by_id("feedback-received")).to_contain_text("You listen")
    advance(keys, seats)

    expect(by_id("stage-line")).to_contain_text("Commitments")
    keys.type(by_id("commit-text"), "Ask on Friday")
    keys.press(by_id("commit-send"))
    expect(by_id("commitments-made")).to_contain_text("Ask on Friday")
    advance(keys, seats)
    expect(region).to_contain_text("Close")

    # Someone leaving is said.
    cy.page.close()
    expect(region).to_contain_text(f"{NAMES['cy']} left.")

    no_trap_and_rings_everywhere(keys)
    keys.press(by_id("end-session"))
    keys.press(by_id("end-confirm"))
    expect(by_id("live-room")).to_have_attribute("data-status", "ended")
    expect(region).to_contain_text("The session has ended.")
    expect(page.get_by_test_id("summary")).to_be_visible()
    assert keys.unringed == set(), f"focused without a visible indicator: {keys.unringed}"
    assert errors == []


def advance(keys: Keyboard, seats: dict[str, Page]) -> None:
    """The facilitator presses "Next stage" once every screen is in step."""
    from tests.browser.test_live_room import Seat

    in_step({k: Seat(k, p, []) for k, p in seats.items() if not p.is_closed()})
    version = keys.page.locator("#live-room").get_attribute("data-version")
    keys.press(keys.page.locator("#advance"))
    expect(keys.page.locator("#live-room")).not_to_have_attribute("data-version", version or "")


def timer_announcements(page: Page, seats: dict[str, Page]) -> None:
    """A 62-second timer (through the room's own socket): its last minute, then its end."""
    session_id = int(page.locator("#live-room").get_attribute("data-session-id") or 0)
    start = """([sid, seconds]) => import("/static/live.js").then((live) => new Promise(
        (done) => live.liveSocket().emit("live:timer",
                                         {session_id: sid, action: "start", seconds}, done)))"""
    assert page.evaluate(start, [session_id, 62])["ok"] is True
    for seat in seats.values():
        expect(said(seat)).to_contain_text("One minute left.", timeout=15_000)
    assert page.evaluate(start, [session_id, 1])["ok"] is True
    for seat in seats.values():
        expect(said(seat)).to_contain_text("Time is up.")
    page.evaluate("""(sid) => import("/static/live.js").then((live) => new Promise(
        (done) => live.liveSocket().emit("live:timer", {session_id: sid, action: "stop"}, done)))""",
                  session_id)
    expect(page.locator("#timer")).to_have_attribute("data-state", "idle")


#: Numbers every visible control of the room (data-walk); returns how many there are.
MARK = """() => {
  const controls = Array.from(document.querySelectorAll(
    '#live-room a[href], #live-room button, #live-room input, #live-room select, #live-room textarea'))
    .filter(el => !el.disabled && el.getClientRects().length > 0);
  controls.forEach((el, i) => el.setAttribute('data-walk', String(i)));
  return controls.length;
}"""


def no_trap_and_rings_everywhere(keys: Keyboard) -> None:
    """From the first link of the page's content, Tab through the whole page until the focus
    comes back to it: every control in the room is reached, each with a focus indicator."""
    page = keys.page
    start = page.locator("main a").first
    keys.to(start)
    count = page.evaluate(MARK)
    walked: set[str] = set()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        keys._note()
        mark = page.evaluate("() => document.activeElement.getAttribute('data-walk')")
        if mark is not None:
            walked.add(mark)
        if start.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the focus never came back round: a keyboard trap?")
    missed = page.evaluate("""(walked) => Array.from(document.querySelectorAll('[data-walk]'))
      .filter(el => !walked.includes(el.getAttribute('data-walk')))
      .map(el => el.outerHTML.slice(0, 120))""", sorted(walked))
    assert missed == [], f"{len(missed)} of {count} controls the Tab key never reached"
