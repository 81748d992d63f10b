"""A session's place and "did we meet?" in a real browser: Ana plans a session with a video
link and a room, sees both on the circle page and in its calendar file; once its time has
passed, Ben is asked on his dashboard whether the circle met, says who was there, and Cy —
left unticked — adds herself from the circle page."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import log_in
from tests.support.live import PASSWORD, ROOT, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

LINK = "https://meet.example.org/trio-planning-2f9c"

#: Runs in the live server's environment: a facilitator and a trio of members.
SEED = f"""
import json
from circles import create_app
from circles.members import accounts
from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.models import Membership

app = create_app()
with app.app_context():
    db = orm.session
    people = {{key: accounts.sign_up(db, email=f"{{key}}@example.org", password={PASSWORD!r},
                                     display_name=name, timezone="Europe/Berlin")
              for key, name in (("fay", "Fay Facilitator"), ("ana", "Ana Asker"),
                                ("ben", "Ben Broker"), ("cy", "Cy Tran"))}}
    community = create_community(db, people["fay"], name="Place Cohort")
    for key in ("ana", "ben", "cy"):
        db.add(Membership(community=community, user_id=people[key].id, role="member"))
    db.flush()
    trio = create_circle(db, community, people["fay"], name="Planning Trio",
                         member_ids=[people[k].id for k in ("ana", "ben", "cy")])
    db.commit()
    print(json.dumps({{"circle": trio.id}}))
"""

#: Time passes: the circle's session (and the circle itself) moves two days into the past.
PASS_TIME = """
import sys
from datetime import timedelta
from sqlalchemy import select
from circles import create_app
from circles.extensions import orm
from circles.models import Circle, CircleSession, utcnow

app = create_app()
with app.app_context():
    db = orm.session
    circle = db.get_one(Circle, int(sys.argv[1]))
    circle.created_at = utcnow() - timedelta(days=20)
    for seat in circle.seats:
        seat.joined_at = circle.created_at
    for session in db.scalars(select(CircleSession).where(CircleSession.circle_id == circle.id)):
        session.starts_at = utcnow() - timedelta(days=2)
    db.commit()
"""


def run(server: LiveServer, script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], check=False, cwd=ROOT,
                          env=server.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"script failed:\n{done.stderr[-4000:]}"
    return done.stdout


def plan_with_a_place(ana: Page, circle: int) -> None:
    ana.goto(f"/circles/{circle}")
    ana.get_by_role("link", name="Plan a session").click()
    day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    ana.get_by_label("Date").fill(day)
    ana.get_by_label("Start time").fill("18:30")
    ana.get_by_label("Time zone").select_option("Europe/Berlin")
    ana.get_by_label("Title (optional)").fill("Kick-off")
    ana.get_by_label("Video-call link (optional)").fill("meet.example.org/trio")
    ana.get_by_label("Room or address (optional)").fill("Room 4.12, Main Street 5")
    ana.get_by_role("button", name="Plan").click()
    link_field = ana.get_by_label("Video-call link (optional)")
    expect(link_field).to_have_attribute("aria-invalid", "true")
    expect(ana.get_by_role("alert").filter(has_text="Give a web address starting with https://")
           ).to_be_visible()
    expect(ana.get_by_label("Room or address (optional)")).to_have_value(
        "Room 4.12, Main Street 5")  # nothing typed is lost
    link_field.fill(LINK)
    ana.get_by_role("button", name="Plan").click()
    expect(ana.get_by_role("status").filter(has_text="Planned 1 session")).to_be_visible()
    upcoming = ana.locator("li.session", has_text="Kick-off")
    expect(upcoming.get_by_role("link", name="Join the video call")).to_have_attribute("href", LINK)
    expect(upcoming.get_by_text("Where: Room 4.12, Main Street 5")).to_be_visible()


def calendar_file(page: Page) -> str:
    href = page.locator("li.session").get_by_role("link", name="Add to calendar (.ics)"
                                                   ).get_attribute("href")
    assert href is not None
    text: str = page.request.get(href).text()
    return text.replace("\r\n ", "")


def test_a_session_with_a_place_and_a_member_confirming_the_meeting_afterwards(
        live: LiveServer, new_page: NewPage) -> None:
    circle = json.loads(run(live, SEED).strip().splitlines()[-1])["circle"]
    ana = new_page(live.url)
    log_in(ana, email="ana@example.org", password=PASSWORD)
    plan_with_a_place(ana, circle)
    ics = calendar_file(ana)
    assert "LOCATION:Room 4.12\\, Main Street 5\r\n" in ics
    assert f"URL:{LINK}\r\n" in ics

    run(live, PASS_TIME, str(circle))
    ben = new_page(live.url)
    log_in(ben, email="ben@example.org", password=PASSWORD)
    card = ben.get_by_role("region", name="Did your circle meet?")
    question = card.get_by_role("form", name="Did Planning Trio meet on")
    for name in ("Ana Asker", "Ben Broker (you)", "Cy Tran"):
        expect(question.get_by_label(name)).to_be_checked()  # everyone, until told otherwise
    question.get_by_label("Cy Tran").uncheck()
    question.get_by_role("button", name="We met").click()
    expect(ben.get_by_role("status").filter(has_text="your circle's meeting is recorded")
           ).to_be_visible()
    past = ben.locator("ul.past-sessions > li", has_text="Kick-off")
    expect(past.get_by_text("Who was there: Ana Asker, Ben Broker")).to_be_visible()
    ben.goto("/")
    expect(ben.get_by_role("region", name="Did your circle meet?")).to_have_count(0)

    cy = new_page(live.url)
    log_in(cy, email="cy@example.org", password=PASSWORD)
    expect(cy.get_by_role("region", name="Did your circle meet?")).to_have_count(0)  # answered
    cy.goto(f"/circles/{circle}")
    past = cy.locator("ul.past-sessions > li", has_text="Kick-off")
    past.get_by_role("button", name="I was there too").click()
    expect(cy.get_by_role("status").filter(has_text="you are on the list of who was there")
           ).to_be_visible()
    past = cy.locator("ul.past-sessions > li", has_text="Kick-off")
    expect(past.get_by_text("Who was there: Ana Asker, Ben Broker, Cy Tran")).to_be_visible()
    expect(past.get_by_role("button", name="I was there too")).to_have_count(0)
