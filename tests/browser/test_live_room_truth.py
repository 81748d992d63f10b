"""The live room tells the truth (issue 17, item 4), in Chromium through the real socket.io
client: a note typed offline is saved once the room is back, with no other keystroke, and
the tab warns before closing on it; every refused action is explained next to the control
that caused it, in words and in the unit typed, and cleared by the next success; the
feedback phase lists only the members who were there, and after the end feedback can still
be given for a week (someone who left early included)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Dialog, Locator, expect
from sqlalchemy import select

from circles.extensions import db, orm
from circles.live import agenda, log
from circles.models import CircleSession, Feedback, Note, User, utcnow
from circles.models.live import SHARED_NOTE
from tests.browser.conftest import NewPage
from tests.browser.test_live_room import (
    NAMES,
    Seat,
    circle_with_session,
    in_step,
    open_room,
)
from tests.support.live import LiveServer, ServerFactory, app_on

pytestmark = [pytest.mark.browser, pytest.mark.live]

WAITING = "Not saved yet: it saves once the room has reconnected."
MINUTES = "Give a whole number of minutes from 1 to 60."
#: A refusal that starts with a payload field's name ("title: …", "due_on: …").
FIELD_NAME = re.compile(r"^\W*[a-z_]+: ")
FOUR = {**NAMES, "di": "Di Prima"}


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute")


@pytest.fixture
def seats(new_page: NewPage, server: LiveServer) -> Iterator[dict[str, Seat]]:
    """Ada (facilitator), Ben (timekeeper) and Cy (note-taker) in the room."""
    circle_id, _session_id = circle_with_session(server)
    found = {key: open_room(new_page, server, key, circle_id) for key in NAMES}
    yield found
    for seat in found.values():
        assert seat.errors == [], f"{seat.name}'s page reported errors: {seat.errors}"


def shared_note(server: LiveServer, session_id: int) -> str | None:
    """The shared note's body as the server has it (None: never saved)."""
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        return orm.session.scalar(select(Note.body).where(Note.session_id == session_id,
                                                          Note.slot == SHARED_NOTE))


def session_id_of(seat: Seat) -> int:
    return int(seat.room.get_attribute("data-session-id") or 0)


# --- a note typed offline ---------------------------------------------------------------------


def test_a_note_typed_offline_is_saved_after_reconnecting_without_another_keystroke(
        new_page: NewPage, server: LiveServer) -> None:
    circle_id, session_id = circle_with_session(server)
    cy = open_room(new_page, server, "cy", circle_id)
    context = cy.page.context
    context.set_offline(True)
    expect(cy.page.locator("html")).to_have_attribute("data-room", "reconnecting",
                                                      timeout=30_000)
    cy.by_id("note-shared").click()
    cy.by_id("note-shared").press_sequentially("Typed on the train")
    expect(cy.by_id("note-shared-status")).to_have_text(WAITING)
    cy.page.wait_for_timeout(1500)  # the autosave's pause has long passed: still waiting
    expect(cy.by_id("note-shared-status")).to_have_text(WAITING)
    assert shared_note(server, session_id) is None

    context.set_offline(False)
    expect(cy.page.locator("html")).to_have_attribute("data-room", "joined", timeout=30_000)
    expect(cy.by_id("note-shared-status")).to_have_text("Saved.")
    assert shared_note(server, session_id) == "Typed on the train"
    # Only the browser's own word on the outage (a failed poll while offline) was logged.
    assert [e for e in cy.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def leaving_is_held(seat: Seat) -> bool:
    """Whether the page asks before it goes (its beforeunload handler cancels the event)."""
    return bool(seat.page.evaluate("""() => {
        const leaving = new Event("beforeunload", { cancelable: true });
        window.dispatchEvent(leaving);
        return leaving.defaultPrevented;
    }"""))


def test_closing_the_tab_on_an_unsaved_note_asks_first_and_a_reload_keeps_it(
        new_page: NewPage, server: LiveServer) -> None:
    circle_id, session_id = circle_with_session(server)
    cy = open_room(new_page, server, "cy", circle_id)
    assert not leaving_is_held(cy)
    cy.page.context.set_offline(True)
    expect(cy.page.locator("html")).to_have_attribute("data-room", "reconnecting",
                                                      timeout=30_000)
    cy.by_id("note-private").click()
    cy.by_id("note-private").press_sequentially("Mine alone")
    expect(cy.by_id("note-private-status")).to_have_text(WAITING)
    assert leaving_is_held(cy)
    draft = cy.page.evaluate("(key) => localStorage.getItem(key)",
                             f"circles:note:{cy.room.get_attribute('data-me')}:{session_id}:private")
    assert draft is not None and "Mine alone" in draft
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    cy.page.on("dialog", answer)
    cy.page.close(run_before_unload=True)
    deadline = time.monotonic() + 5
    while not asked and time.monotonic() < deadline and not cy.page.is_closed():
        cy.page.wait_for_timeout(50)  # lets Playwright deliver the dialog event
    assert asked == ["beforeunload"]
    assert not cy.page.is_closed()
    # Back online, a reload (past the question) finds the words and saves them.
    cy.page.context.set_offline(False)
    cy.page.remove_listener("dialog", answer)
    cy.page.on("dialog", lambda dialog: dialog.accept())
    cy.page.reload()
    expect(cy.page.locator("html")).to_have_attribute("data-room", "joined")
    expect(cy.by_id("note-private")).to_have_value("Mine alone")
    expect(cy.by_id("note-private-status")).to_have_text("Saved.")
    assert not leaving_is_held(cy)


# --- refusals next to their control ------------------------------------------------------------


def shown_errors(seat: Seat) -> list[str]:
    """Every error line on the seat's screen now, by its text."""
    return [text for text in seat.page.locator("#live-room .error:visible").all_inner_texts()]


def only_error(seat: Seat, where: Locator, text: str) -> None:
    """``text`` is shown at ``where`` and is the only error on the screen."""
    expect(where).to_be_visible()
    expect(where).to_have_text(text)
    assert shown_errors(seat) == [text], shown_errors(seat)


def no_error(seat: Seat) -> None:
    expect(seat.page.locator("#live-room .error:visible")).to_have_count(0)


def set_phase_order(seat: Seat, kinds: list[str]) -> None:
    """The circle's phases for this session (any member may set them before the start)."""
    ack = seat.page.evaluate("""([circle, phases]) => import("/static/live.js").then((live) =>
        new Promise((done) => live.liveSocket().emit("live:phase_order",
                                                     {circle_id: circle, phases}, done)))""",
                             [int(seat.room.get_attribute("data-circle-id") or 0), kinds])
    assert ack["ok"] is True, ack


def advance_until(seats: dict[str, Seat], kind: str) -> None:
    for _ in range(8):
        in_step(seats)
        if seats["ada"].room.get_attribute("data-phase") == kind:
            return
        version = seats["ada"].version()
        seats["ada"].by_id("advance").click()
        expect(seats["ada"].room).not_to_have_attribute("data-version", version)
    pytest.fail(f"never reached {kind}")


def unbroadcast_item(server: LiveServer, email: str, session_id: int, title: str) -> None:
    """An agenda item made and logged as a server would, but told to nobody (as if its
    broadcast were lost): the next reorder from a room that has not seen it is stale."""
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        member = orm.session.scalars(select(User).where(User.email == email)).one()
        change = agenda.add_item(db(), member, session_id, title)
        log.record(db(), change, author_id=member.id)
        db().commit()
        orm.session.remove()


def test_every_refusal_is_shown_next_to_its_control_in_words_and_cleared_by_success(
        seats: dict[str, Seat], server: LiveServer) -> None:
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    set_phase_order(ada, ["checkin", "agenda", "feedback", "commitments", "close"])

    # Adding to the agenda: the title and the minutes each have their own line.
    ada.by_id("agenda-title").fill("   ")
    ada.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    only_error(ada, ada.by_id("agenda-title-error"), "The title cannot be empty.")
    ada.by_id("agenda-title").fill("Pacing")
    expect(ada.by_id("agenda-title-error")).to_be_hidden()  # edited: the old line goes
    for minutes in ("-5", "999"):
        ada.by_id("agenda-minutes").fill(minutes)
        ada.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
        only_error(ada, ada.by_id("agenda-minutes-error"), MINUTES)
    ada.by_id("agenda-minutes").fill("10")
    ada.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    expect(ada.by_id("agenda").get_by_test_id("agenda-item")).to_have_count(1)
    no_error(ada)

    # An item's own timebox, rename and reorder explain themselves on its row.
    row = ada.by_id("agenda").get_by_test_id("agenda-item").first
    for minutes in ("-5", "999"):
        row.get_by_test_id("agenda-timebox").fill(minutes)
        row.get_by_test_id("agenda-timebox").press("Tab")
        only_error(ada, row.get_by_test_id("agenda-timebox-error"), MINUTES)
    expect(row.get_by_test_id("agenda-timebox")).to_have_value("999")  # kept, with its reason
    ada.by_id("agenda-title").fill("")
    ada.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    only_error(ada, ada.by_id("agenda-title-error"), "The title cannot be empty.")  # the older went
    row.get_by_test_id("agenda-timebox").fill("7")
    row.get_by_test_id("agenda-timebox").press("Tab")
    expect(ben.by_id("agenda").get_by_test_id("agenda-timebox")).to_have_value("7")
    ada.by_id("agenda-title").fill("Saying no")
    ada.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    expect(ada.by_id("agenda").get_by_test_id("agenda-item")).to_have_count(2)
    no_error(ada)
    row.get_by_role("button", name="rename").click()
    row.get_by_label("New title").fill("")
    row.get_by_role("button", name="Save").click()
    only_error(ada, row.get_by_test_id("agenda-rename-error"), "The title cannot be empty.")
    row.get_by_label("New title").fill("Pacing myself")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".title")).to_have_text("Pacing myself")
    no_error(ada)
    unbroadcast_item(server, "cy@example.org", session_id_of(ada), "Lost on its way")
    row.get_by_role("button", name="Move down").click()
    only_error(ada, row.get_by_test_id("agenda-item-error"),
               "The agenda changed meanwhile (an item was added or removed): try the move again.")
    cy.by_id("agenda-title").fill("One more")  # the next change brings the lost one along
    cy.by_id("agenda-add").get_by_role("button", name="Add to the agenda").click()
    expect(ada.by_id("agenda").get_by_test_id("agenda-item")).to_have_count(4)
    row.get_by_role("button", name="Move down").click()
    expect(ada.by_id("agenda").locator(".title").nth(1)).to_have_text("Pacing myself")
    no_error(ada)

    # The timer is set in minutes and answers in minutes.
    ada.by_id("start-session").click()
    in_step(seats)
    ben.by_id("timer-minutes").fill("90")
    ben.by_id("timer-start").click()
    only_error(ben, ben.by_id("timer-minutes-error"), MINUTES)
    ben.by_id("timer-minutes").fill("60")
    ben.by_id("timer-start").click()
    expect(ben.by_id("timer")).to_have_attribute("data-state", "running")
    no_error(ben)
    ben.by_id("timer-extend").click()
    only_error(ben, ben.by_id("timer-error"), "The timer holds an hour at most: it cannot take more.")
    ben.by_id("timer-stop").click()
    expect(ben.by_id("timer")).to_have_attribute("data-state", "idle")
    no_error(ben)

    cy.by_id("contribute-text").fill("  ")
    cy.by_id("contribute-send").click()
    only_error(cy, cy.by_id("contribute-error"), "Your contribution cannot be empty.")
    cy.by_id("contribute-text").fill("Hopeful")
    cy.by_id("contribute-send").click()
    expect(cy.by_id("contributions")).to_contain_text("Hopeful")
    no_error(cy)

    advance_until(seats, "feedback")
    to_ben = ada.by_id("feedback-forms").locator(f'form:has(h3:text-is("To {NAMES["ben"]}"))')
    to_ben.get_by_label(f"One suggestion for {NAMES['ben']}").fill("Say it sooner")
    to_ben.get_by_role("button", name=f"Give feedback to {NAMES['ben']}").click()
    only_error(ada, to_ben.locator(".strength-error"), "The strength you noticed cannot be empty.")
    to_ben.get_by_label(f"A strength you noticed in {NAMES['ben']}").fill("You listen")
    to_ben.get_by_label(f"One suggestion for {NAMES['ben']}").fill("")
    to_ben.get_by_role("button", name=f"Give feedback to {NAMES['ben']}").click()
    only_error(ada, to_ben.locator(".suggestion-error"), "The suggestion cannot be empty.")
    to_ben.get_by_label(f"One suggestion for {NAMES['ben']}").fill("Say it sooner")
    to_ben.get_by_role("button", name=f"Give feedback to {NAMES['ben']}").click()
    expect(to_ben).to_have_attribute("data-given", "true")
    no_error(ada)

    advance_until(seats, "commitments")
    cy.by_id("commit-text").fill("Call Sam")
    cy.by_id("commit-due").fill("2001-01-01")
    cy.by_id("commit-send").click()
    only_error(cy, cy.by_id("commit-due-error"), "Choose a date that is not in the past.")
    cy.by_id("commit-due").fill((utcnow() + timedelta(days=7)).date().isoformat())
    cy.by_id("commit-text").fill("")
    cy.by_id("commit-send").click()
    only_error(cy, cy.by_id("commit-text-error"), "Your commitment cannot be empty.")
    cy.by_id("commit-text").fill("Call Sam")
    cy.by_id("commit-send").click()
    expect(cy.by_id("commitments-made")).to_contain_text("Call Sam")
    no_error(cy)

    # A note over the limit says so beside the note; the next save clears it.
    cy.by_id("note-shared").fill("x" * 20_001)
    only_error(cy, cy.by_id("note-shared-error"),
               "Keep the note to 20,000 characters (it has 20,001).")
    cy.by_id("note-shared").press("End")
    cy.by_id("note-shared").press("Backspace")
    expect(cy.by_id("note-shared-status")).to_have_text("Saved.")
    no_error(cy)
    for seat in seats.values():
        assert not any(FIELD_NAME.match(text) for text in shown_errors(seat))


# --- feedback for those who were there --------------------------------------------------------


@pytest.fixture
def four(new_page: NewPage, server: LiveServer) -> Iterator[tuple[int, dict[str, Seat]]]:
    """Ada, Ben and Cy in the room of a circle of four; Di never comes."""
    circle_id, _session_id = circle_with_session(server, FOUR)
    found = {key: open_room(new_page, server, key, circle_id) for key in NAMES}
    yield circle_id, found
    for seat in found.values():
        if not seat.page.is_closed():
            assert seat.errors == [], f"{seat.name}'s page reported errors: {seat.errors}"


def open_summary(new_page: NewPage, server: LiveServer, key: str, circle_id: int) -> Seat:
    """Log in and open an ended session's page from the circle page's "Summary" link."""
    return open_room(new_page, server, key, circle_id, link="Summary")


def feedback_to(seat: Seat, where: str) -> Locator:
    return seat.by_id(where).locator("form h3")


def test_feedback_lists_only_those_who_were_there_and_stays_open_a_week_after(
        four: tuple[int, dict[str, Seat]], new_page: NewPage, server: LiveServer) -> None:
    circle_id, seats = four
    ada, ben, cy = seats["ada"], seats["ben"], seats["cy"]
    set_phase_order(ada, ["checkin", "feedback", "close"])
    for seat in seats.values():
        expect(seat.by_id("members").locator("li")).to_have_count(4)
    ada.by_id("start-session").click()
    in_step(seats)
    cy.page.close()  # Cy leaves mid-session
    del seats["cy"]
    expect(ada.by_id("members").locator(f'li:has-text("{NAMES["cy"]}")')).not_to_have_attribute(
        "data-presence", "here")
    advance_until(seats, "feedback")

    for seat, others in ((ada, ["Ben Okri", "Cy Twombly"]), (ben, ["Ada Lovelace", "Cy Twombly"])):
        expect(feedback_to(seat, "feedback-forms")).to_have_text([f"To {n}" for n in others])
        expect(seat.by_id("feedback-progress")).to_have_text(
            "Feedback given among the 3 who were here: 0 of 6. You have given to 0 of 2.")
    to_cy = ada.by_id("feedback-forms").locator(f'form:has(h3:text-is("To {NAMES["cy"]}"))')
    to_cy.get_by_label(f"A strength you noticed in {NAMES['cy']}").fill("A warm opening")
    to_cy.get_by_label(f"One suggestion for {NAMES['cy']}").fill("Stay to the end")
    to_cy.get_by_role("button", name=f"Give feedback to {NAMES['cy']}").click()
    expect(ben.by_id("feedback-progress")).to_contain_text("1 of 6")

    advance_until(seats, "close")
    ada.by_id("end-session").click()
    ada.by_id("end-confirm").click()
    for seat in (ada, ben):
        expect(seat.room).to_have_attribute("data-status", "ended")
        expect(seat.by_id("late-feedback")).to_be_visible()
        expect(feedback_to(seat, "late-feedback-forms")).to_have_count(2)

    # Cy, back after the end, gives hers from the session's page; Ada sees it at once.
    cy = open_summary(new_page, server, "cy", circle_id)
    expect(cy.by_id("summary-feedback")).to_contain_text("A warm opening")
    expect(feedback_to(cy, "late-feedback-forms")).to_have_text(
        [f"To {NAMES['ada']}", f"To {NAMES['ben']}"])
    to_ada = cy.by_id("late-feedback-forms").locator(f'form:has(h3:text-is("To {NAMES["ada"]}"))')
    to_ada.get_by_label(f"A strength you noticed in {NAMES['ada']}").fill("Clear framing")
    to_ada.get_by_label(f"One suggestion for {NAMES['ada']}").fill("Fewer slides")
    to_ada.get_by_role("button", name=f"Give feedback to {NAMES['ada']}").click()
    expect(to_ada).to_have_attribute("data-given", "true")
    expect(ada.by_id("summary-feedback")).to_contain_text("Clear framing")
    assert cy.errors == []
    # Di never came: nothing to give, nothing asked of her.
    di = open_summary(new_page, server, "di", circle_id)
    expect(di.by_id("summary-panel")).to_be_visible()
    expect(di.by_id("late-feedback")).to_be_hidden()
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        pairs = orm.session.execute(select(Feedback.giver_id, Feedback.receiver_id)).all()
        assert len(pairs) == 2
        session = orm.session.get_one(CircleSession, session_id_of(ada))
        assert session.status == "ended"
        orm.session.remove()
