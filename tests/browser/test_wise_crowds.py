"""Five members run a Wise Crowds session in five Chromium contexts: the rounds' step line
with the client and recorder, the client's read-only turn-away while the consultants talk,
every round in turn, and the airtime panel (each member their share, the facilitator
everyone's and the spread)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.models import CircleSession, Membership, SessionRole, User, utcnow
from tests.browser.conftest import NewPage
from tests.browser.test_live_room import Seat, in_step, open_room
from tests.support.live import LiveServer, ServerFactory, http_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

STEPS = ("The client presents", "Clarifying questions", "Consultants talk; the client listens",
         "The client says what was useful")
NAMES = {"ada": "Ada Lovelace", "ben": "Ben Okri", "cy": "Cy Twombly", "di": "Di Nkosi",
         "eve": "Eve Arden"}


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute")


def wise_crowds_session(server: LiveServer) -> int:
    """The five signed up in this order (so the rounds' clients come in it too), their
    circle and a Wise Crowds session: Ada facilitates, Ben keeps time."""
    for key, name in NAMES.items():
        http_session(server).signup(f"{key}@example.org", name)
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            ids = {key: db.execute(select(User.id).where(User.email == f"{key}@example.org"))
                   .scalar_one() for key in NAMES}
            community = create_community(db, db.get_one(User, ids["ada"]), name="Crowd")
            for key in NAMES.keys() - {"ada"}:
                db.add(Membership(community=community, user_id=ids[key], role="member"))
            db.flush()
            circle = create_circle(db, community, db.get_one(User, ids["ada"]),
                                   name="Wise ones", member_ids=list(ids.values()))
            session = CircleSession(circle_id=circle.id, title="Wise Crowds",
                                    starts_at=utcnow(), format="wise_crowds")
            session.roles = [SessionRole(role="facilitator", user_id=ids["ada"]),
                             SessionRole(role="timekeeper", user_id=ids["ben"])]
            db.add(session)
            db.commit()
            return circle.id
    finally:
        engine.dispose()


@pytest.fixture
def seats(new_page: NewPage, server: LiveServer) -> Iterator[dict[str, Seat]]:
    circle_id = wise_crowds_session(server)
    found = {key: open_room(new_page, server, key, circle_id) for key in NAMES}
    yield found
    for seat in found.values():
        assert seat.errors == [], f"{seat.name}'s page reported errors: {seat.errors}"


def step(seats: dict[str, Seat], line: str) -> None:
    """Ada moves on; every screen shows the new stage."""
    in_step(seats)
    seats["ada"].by_id("advance").click()
    for seat in seats.values():
        expect(seat.by_id("stage-line")).to_contain_text(line)
    in_step(seats)


def say(seat: Seat, kind: str, text: str, seats: dict[str, Seat]) -> None:
    seat.by_id("contribute-kind").select_option(kind)
    seat.by_id("contribute-text").fill(text)
    seat.by_id("contribute-send").click()
    for other in seats.values():
        expect(other.by_id("contributions")).to_contain_text(text)


def test_five_members_run_wise_crowds_in_chromium(seats: dict[str, Seat]) -> None:
    ada, ben, cy, di = seats["ada"], seats["ben"], seats["cy"], seats["di"]
    ada.by_id("start-session").click()
    for seat in seats.values():
        expect(seat.by_id("phase-bar").locator("li")).to_have_text(
            [re.compile("^Check-in"), "Rounds", "Close"])
    for turn in range(2, 6):
        step(seats, f"{turn} of 5")
    step(seats, "Round 1 of 5 · The client presents")
    expect(ada.by_id("stage-line")).to_contain_text("client: you")
    expect(ben.by_id("stage-line")).to_contain_text("client: Ada Lovelace · recorder:")
    expect(ben.by_id("members").locator("li").filter(has_text="Ada Lovelace")
           .locator('[data-role="client"]')).to_be_visible()
    say(ada, "story", "My team stopped talking to me", seats)
    step(seats, "Clarifying questions")
    say(ben, "question", "Since when?", seats)

    step(seats, "Consultants talk; the client listens")
    expect(ada.by_id("turned-away")).to_be_visible()
    expect(ada.by_id("contribute-form")).to_be_hidden()  # the client's view is read-only
    expect(cy.by_id("turned-away")).to_be_hidden()
    say(cy, "idea", "A weekly one-to-one with each", seats)

    step(seats, "The client says what was useful")
    expect(ada.by_id("contribute-form")).to_be_visible()
    say(ada, "reflection", "The one-to-ones", seats)

    for number, client in enumerate(("Ben Okri", "Cy Twombly", "Di Nkosi", "Eve Arden"), 2):
        for name in STEPS:
            step(seats, f"Round {number} of 5 · {name}")
        expect(ada.by_id("stage-line")).to_contain_text(f"client: {client}")
    step(seats, "Close")

    expect(di.by_id("airtime-mine")).to_contain_text("Your share:")
    expect(di.by_id("airtime-mine")).to_contain_text("An equal share is 20 %")
    expect(di.by_id("airtime-everyone")).to_be_hidden()
    expect(ada.by_id("airtime-everyone").locator("tbody tr")).to_have_count(5)
    expect(ada.by_id("airtime-spread")).to_contain_text("Spread")
