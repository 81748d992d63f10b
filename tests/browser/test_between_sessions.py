"""Between sessions in a real browser: a member checks in on a goal, completes a commitment,
finds a reminder in the notification centre (made by ``flask notify reminders``), calls it a
day in a quiet circle with a private reason, and the facilitator sees the circle flagged at
risk on the community page but never the reason."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import log_in
from tests.support.live import PASSWORD, ROOT, LiveServer, run_flask

pytestmark = [pytest.mark.browser, pytest.mark.live]

REASON = "I clash with the Tuesday slot and feel I hold the others back"

#: Runs in the live server's environment (its DATABASE_URL): a community with a facilitator and
#: a trio whose last session ended 50 days ago, the member's success criterion, and two of her
#: commitments from that session (one to complete, one due tomorrow for the reminder).
SEED = f"""
import json
from datetime import timedelta
from circles import create_app
from circles.members import accounts
from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.models import CircleSession, Commitment, Membership, SuccessCriterion, utcnow

app = create_app()
with app.app_context():
    db = orm.session
    now = utcnow()
    people = {{key: accounts.sign_up(db, email=f"{{key}}@example.org", password={PASSWORD!r},
                                     display_name=name)
              for key, name in (("fay", "Fay Facilitator"), ("ada", "Ada Lovelace"),
                                ("ben", "Ben Okafor"), ("cy", "Cy Tran"))}}
    community = create_community(db, people["fay"], name="Between Sessions Cohort")
    for key in ("ada", "ben", "cy"):
        db.add(Membership(community=community, user_id=people[key].id, role="member"))
    db.flush()
    trio = create_circle(db, community, people["fay"], name="Tuesday Trio",
                         member_ids=[people[k].id for k in ("ada", "ben", "cy")])
    trio.created_at = now - timedelta(days=90)
    began = now - timedelta(days=51)  # ended 50 days and 23 hours ago
    last = CircleSession(circle=trio, starts_at=began, status="ended", started_at=began,
                         ended_at=began + timedelta(hours=1))
    db.add(last)
    db.flush()
    ada = people["ada"].id
    db.add(SuccessCriterion(user_id=ada, text="Run a retrospective for my team",
                            target_date=(now + timedelta(days=60)).date()))
    db.add_all([Commitment(circle_id=trio.id, session_id=last.id, user_id=ada,
                           text="Read the chapter on feedback", due_on=(now + timedelta(days=5)).date()),
                Commitment(circle_id=trio.id, session_id=last.id, user_id=ada,
                           text="Send Ben the draft agenda", due_on=(now + timedelta(days=1)).date())])
    db.commit()
    print(json.dumps({{"community": community.id, "circle": trio.id}}))
"""


def seed(server: LiveServer) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-c", SEED], check=False, cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"seeding failed:\n{done.stderr[-4000:]}"
    ids: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return ids


def run_reminders(server: LiveServer) -> None:
    code, output = run_flask(["notify", "reminders"], server.env)
    assert code == 0, f"`flask notify reminders` failed:\n{output[-4000:]}"


def check_in_on_goal(page: Page) -> None:
    page.goto("/goals")
    goal = page.get_by_role("article", name="Run a retrospective for my team")
    expect(goal.get_by_text("No check-ins yet.")).to_be_visible()
    goal.get_by_label("How is it going?").select_option("3")
    goal.get_by_label("One line on progress (optional)").fill("Drafted the format with my lead")
    goal.get_by_role("button", name="Check in").click()
    goal = page.get_by_role("article", name="Run a retrospective for my team")
    expect(goal.get_by_role("img", name="Progress of Run a retrospective for my team: 3 out of 5")
           ).to_be_visible()
    expect(goal.get_by_text("1 check-in; latest 3/5")).to_be_visible()


def complete_commitment(page: Page) -> None:
    page.goto("/commitments")
    item = page.locator("li.commitment", has_text="Read the chapter on feedback")
    item.get_by_text("Update").click()
    item.get_by_label("Status").select_option("kept")
    item.get_by_label("Reflection").fill("Two ideas already used in my one-to-ones")
    item.get_by_role("button", name="Save").click()
    done = page.get_by_role("region", name="Done")
    expect(done.locator("li.commitment", has_text="Read the chapter on feedback")).to_be_visible()
    expect(done.locator("p.reflection")).to_have_text("Two ideas already used in my one-to-ones")


def test_a_member_between_sessions_and_the_facilitator_who_watches_over_circles(
    live: LiveServer, new_page: NewPage
) -> None:
    ids = seed(live)
    ada = new_page(live.url)
    log_in(ada, email="ada@example.org", password=PASSWORD)
    check_in_on_goal(ada)
    complete_commitment(ada)

    run_reminders(live)
    ada.goto("/notifications")
    reminder = ada.locator("li.notification", has_text="Send Ben the draft agenda")
    expect(reminder).to_be_visible()
    expect(reminder.get_by_text("New")).to_be_visible()
    expect(ada.locator("li.notification", has_text="Read the chapter on feedback")).to_have_count(0)

    ada.goto(f"/circles/{ids['circle']}")
    ada.get_by_role("link", name="Call it a day").click()
    ada.get_by_label("Why (optional, private)").fill(REASON)
    expect(ada.get_by_label("Place me in the next formation round")).to_be_checked()
    ada.get_by_role("button", name="Leave Tuesday Trio").click()
    expect(ada.get_by_text("You have left Tuesday Trio.")).to_be_visible()
    expect(ada.get_by_text(REASON)).to_be_visible()  # on her own Endings page only

    fay = new_page(live.url)
    log_in(fay, email="fay@example.org", password=PASSWORD)
    fay.goto(f"/communities/{ids['community']}")
    flagged = fay.locator("ul.at-risk > li", has_text="Tuesday Trio")
    expect(flagged.get_by_text("at risk", exact=True)).to_be_visible()
    expect(flagged.get_by_text("No session for 50 days.")).to_be_visible()
    expect(fay.get_by_text(REASON)).to_have_count(0)
    flagged.get_by_role("link", name="Tuesday Trio").click()
    expect(fay.get_by_role("heading", level=1)).to_have_text("Tuesday Trio")
    history = fay.get_by_role("region", name="Membership history")
    left = history.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(left).to_be_visible()  # that she left is history; why is hers alone
    expect(left).not_to_contain_text("still here")
    expect(fay.get_by_text(REASON)).to_have_count(0)
    expect(fay.get_by_text("clash with the Tuesday slot")).to_have_count(0)
