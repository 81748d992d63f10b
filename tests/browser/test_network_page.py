"""My network in a real browser: the graph draws the member's network, and an introduction
asked for on the page, agreed by the mutual contact and accepted by the other person adds
that person (and their tie) to the drawing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from circles import create_app
from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.members import accounts, profiles
from circles.models import CircleSession, Membership, User, utcnow
from circles.network import ties
from circles.sessions import meetings
from tests.browser.conftest import NewPage
from tests.browser.pages import log_in
from tests.support.live import PASSWORD, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

#: Who is who in the seeded community (display name → organisation, department).
PEOPLE = {
    "Ana Asker": ("Acme", "Sales"),
    "Ben Broker": ("Globex", "Operations"),
    "Cleo Target": ("Initech", "Legal"),
    "Dev Circle": ("Acme", "Platform"),
    "Eve Circle": ("Umbrella", "Research"),
}


@dataclass
class Seeded:
    emails: dict[str, str]


@contextmanager
def server_app(server: LiveServer) -> Iterator[Flask]:
    """The app in this process on the live server's database, for seeding through the domain."""
    app = create_app({"DATABASE_URL": server.env["DATABASE_URL"], "SECRET_KEY": "seeding",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        yield app
        orm.session.remove()
        orm.engine.dispose()


def seed(server: LiveServer) -> Seeded:
    """Ana's known network: Ben (a declared tie) and Dev and Eve (her circle of three, who
    have met).

    Ben also knows Cleo well, and Cleo's strength answers Ana's learning goal, so Cleo is
    the one person two steps away worth an introduction through Ben.
    """
    with server_app(server):
        db = orm.session
        users: dict[str, User] = {}
        for n, (name, (organisation, department)) in enumerate(
                [("Fay Facilitator", ("Circles", "Programme")), *PEOPLE.items()]):
            user = accounts.sign_up(db, email=f"net{n}@example.org", password=PASSWORD,
                                    display_name=name)
            user.organisation, user.department = organisation, department
            users[name] = user
        community = create_community(db, users["Fay Facilitator"], name="Network cohort")
        for name in PEOPLE:
            db.add(Membership(community=community, user=users[name], role="member"))
        db.flush()
        for a, b in (("Ana Asker", "Ben Broker"), ("Ben Broker", "Cleo Target")):
            ties.add_tie(db, users[a].id, users[b].id, source="declared",
                         community_id=community.id)
        trio = [users[n].id for n in ("Ana Asker", "Dev Circle", "Eve Circle")]
        circle = create_circle(db, community, users["Ana Asker"], name="Trio", member_ids=trio)
        # The trio has met (a circle's ties count once its members met): placed ten days
        # ago, it confirmed its first session afterwards.
        circle.created_at = utcnow() - timedelta(days=10)
        for seat in circle.seats:
            seat.joined_at = circle.created_at
        met = CircleSession(circle=circle, starts_at=utcnow() - timedelta(days=2))
        db.add(met)
        db.flush()
        meetings.report(db, users["Ana Asker"], met.id, met=True, attended=trio)
        profiles.add_learning_goal(db, users["Ana Asker"], topic="Negotiation",
                                   note="Ask for a budget")
        profiles.add_question(db, users["Ana Asker"], text="How do I negotiate a budget?",
                              topic="Negotiation")
        profiles.add_strength(db, users["Cleo Target"], topic="Negotiation",
                              offer="Contract talks", level="expert")
        db.commit()
        return Seeded({name: user.email for name, user in users.items()})


def open_network(page: Page) -> None:
    page.get_by_role("link", name="My network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My network")
    expect(page.locator("#network-graph")).to_have_attribute("data-ready", "true")


def drawn(page: Page) -> tuple[int, int]:
    graph = page.locator("#network-graph")
    return (int(graph.get_attribute("data-node-count") or -1),
            int(graph.get_attribute("data-edge-count") or -1))


def person(server: LiveServer, new_page: NewPage, seeded: Seeded, name: str) -> Page:
    page = new_page(server.url)
    log_in(page, email=seeded.emails[name], password=PASSWORD)
    return page


def test_the_graph_draws_the_network_and_grows_by_an_accepted_introduction(
    live: LiveServer, new_page: NewPage
) -> None:
    seeded = seed(live)
    ana = person(live, new_page, seeded, "Ana Asker")
    open_network(ana)
    # Ana and her three contacts; ties Ana–Ben, Ana–Dev, Ana–Eve and Dev–Eve (the circle).
    assert drawn(ana) == (4, 4)
    expect(ana.locator("#network-people")).to_contain_text("Ben Broker")
    expect(ana.locator("#network-people")).not_to_contain_text("Cleo Target")
    expect(ana.locator("#network-metrics")).to_contain_text("Range")

    ask_for_introduction(ana)

    ben = person(live, new_page, seeded, "Ben Broker")
    broker_agrees(ben)
    cleo = person(live, new_page, seeded, "Cleo Target")
    target_accepts(cleo)

    ana.reload()
    expect(ana.locator("#network-graph")).to_have_attribute("data-ready", "true")
    # Cleo joins, tied to Ana (the introduction) and to Ben (whom Ana already knew).
    assert drawn(ana) == (5, 6)
    expect(ana.locator("#network-people")).to_contain_text("Cleo Target")


def ask_for_introduction(ana: Page) -> None:
    """Ana asks Ben, the mutual contact the page suggests, to introduce her to Cleo."""
    introductions = ana.get_by_role("region", name="Introductions")
    suggestion = introductions.get_by_role("listitem").filter(has_text="Cleo Target")
    expect(suggestion).to_contain_text("Negotiation")
    suggestion.get_by_label("Why you would like to meet Cleo Target").fill(
        "I have to negotiate a budget next month and would value her advice.")
    suggestion.get_by_role("button", name="Ask Ben Broker to introduce you").click()
    expect(ana.get_by_role("status").filter(
        has_text="Asked Ben Broker to introduce you to Cleo Target")).to_be_visible()
    expect(ana.locator("#network-graph")).to_have_attribute("data-ready", "true")
    assert drawn(ana) == (4, 4)  # nothing changes before both of them said yes


def broker_agrees(ben: Page) -> None:
    open_network(ben)
    waiting = ben.locator(".introduction.waiting").filter(has_text="Ana Asker")
    expect(waiting).to_contain_text("negotiate a budget")
    waiting.get_by_label("Your line of introduction").fill("Cleo, meet Ana: you two should talk.")
    waiting.get_by_role("button", name="Agree and introduce").click()
    expect(ben.get_by_role("status").filter(has_text="Thank you")).to_be_visible()


def target_accepts(cleo: Page) -> None:
    open_network(cleo)
    waiting = cleo.locator(".introduction.waiting").filter(has_text="Ana Asker")
    expect(waiting).to_contain_text("you two should talk")
    expect(waiting.get_by_label("My e-mail address", exact=False)).to_be_checked()
    waiting.get_by_role("button", name="Accept").click()
    expect(cleo.get_by_role("status").filter(
        has_text="you and Ana Asker are connected")).to_be_visible()
    # Issue 17: the page of the introduction says how to reach Ana (she shared her e-mail)
    expect(cleo.get_by_role("heading", name="How to reach Ana Asker")).to_be_visible()
    expect(cleo.locator(".contact")).to_contain_text("@")
