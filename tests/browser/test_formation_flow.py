"""The facilitator's "Form circles" flow in a real browser, on the demo community: settings →
progress → preview with reasons → move a member → publish → a member sees the new circle."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import demo_login, load_demo, log_in
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

PREVIEW = "Preview: the circles Circles proposes"
#: The solver's time limit plus page loads on a slow machine.
SOLVE_TIMEOUT_MS = 60_000


@pytest.fixture
def demo(live: LiveServer) -> LiveServer:
    load_demo(live)
    return live


def members_of(circle: Locator) -> list[str]:
    return [name.strip() for name in circle.locator(".member-name").all_inner_texts()]


def form_groups_of_four_to_six(page: Page) -> list[str]:
    """Open Form circles from the community page, ask for groups of 4–6 and send it; the
    bodies of the run pages the browser was shown on the way to the preview."""
    page.get_by_role("region", name="My communities").get_by_role("link").first.click()
    page.get_by_role("link", name="Form circles", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Form circles")
    page.get_by_label("Groups with a range of sizes").check()
    page.get_by_label("Smallest group").fill("4")
    page.get_by_label("Largest group").fill("6")
    expect(page.get_by_label("New ties")).not_to_have_value("")  # the community's weights
    shown: list[str] = []

    def keep(response: Response) -> None:
        if re.search(r"/formation/\d+$", response.url) and response.ok:
            shown.append(response.text())

    page.on("response", keep)
    page.get_by_role("button", name="Form circles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PREVIEW, timeout=SOLVE_TIMEOUT_MS)
    page.remove_listener("response", keep)
    return shown


def try_move(page: Page, source: int, mover: str, target: int) -> bool:
    """Move ``mover`` from circle ``source`` into circle ``target`` (the page refreshes the
    circles and figures in place); False when it explains next to the control why not."""
    circles = page.get_by_role("region", name="Round 1").get_by_role("article")
    target_name = circles.nth(target).get_by_role("heading").inner_text().strip()
    row = circles.nth(source).get_by_role("listitem").filter(has_text=mover)
    control = row.get_by_label(f"Move {mover} (round 1) to")
    if not control.is_visible():
        row.get_by_text("Move…").click()
    control.select_option(label=target_name)
    with page.expect_response(re.compile(r"/formation/\d+/move$")) as answer:
        row.get_by_role("button", name="Move", exact=True).click()
    if answer.value.status == 422:
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(row.get_by_role("alert")).to_be_visible()
        return False
    assert answer.value.ok, answer.value.status
    expect(page).to_have_url(re.compile(r"/formation/\d+$"))  # refreshed in place, no reload
    expect(page.get_by_role("status").filter(has_text="figures are recomputed")).to_be_visible()
    into = page.get_by_role("article", name=target_name, exact=True)
    expect(into.locator(".member-name").filter(has_text=mover)).to_have_count(1)
    moved = into.get_by_role("listitem").filter(has_text=mover)
    expect(moved.get_by_role("alert")).to_have_count(0)
    expect(moved.get_by_label(f"Move {mover} (round 1) to")).not_to_have_attribute(
        "aria-invalid", "true")
    return True


def free_at_any_time(server: LiveServer, display_name: str) -> None:
    """The member tells the facilitator they can meet at any hour: no weekly windows."""
    path = server.env["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db, db:
        db.execute('DELETE FROM availability WHERE user_id = '
                   '(SELECT id FROM "user" WHERE display_name = ?)', (display_name,))


def move_one_member(page: Page, server: LiveServer) -> str:
    """Move a member from a full circle into the one with a free seat. The demo's weekly
    hours are scarce, so the page may refuse and say why next to the control; then the
    member says they are free at any time, and the same move goes through."""
    circles = page.get_by_role("region", name="Round 1").get_by_role("article")
    members = [members_of(c) for c in circles.all()]
    target = min(range(len(members)), key=lambda i: len(members[i]))
    source = next((i for i, names in enumerate(members) if len(names) > 4 and i != target), None)
    assert source is not None and len(members[target]) < 6, f"no move fits {members}"
    mover = members[source][0]
    if not try_move(page, source, mover, target):
        free_at_any_time(server, mover)
        assert try_move(page, source, mover, target), f"{mover} could still not move"
    return mover


def test_facilitator_forms_circles_and_a_member_sees_theirs(
    demo: LiveServer, new_page: NewPage
) -> None:
    facilitator, member = new_page(demo.url), new_page(demo.url)
    email, password = demo_login(member, "member")
    log_in(member, email=email, password=password)
    member_name = member.get_by_role("button", name="Log out").inner_text()
    member_name = member_name.removeprefix("Log out (").removesuffix(")")
    expect(member.locator("html")).to_have_attribute("data-live", "connected")

    email, password = demo_login(facilitator, "facilitator")
    log_in(facilitator, email=email, password=password)
    shown = form_groups_of_four_to_six(facilitator)
    print("run pages shown:", ["progress" if "<progress" in b else "preview" for b in shown])
    assert shown, "the browser never showed the run's page"
    assert "<progress" in shown[0] or PREVIEW in shown[0]
    if len(shown) > 1:  # it computed long enough to be watched: progress, then the preview
        assert "<progress" in shown[0] and PREVIEW in shown[-1]

    figures = facilitator.get_by_role("region", name="Overall figures")
    expect(figures.get_by_role("columnheader", name="Random grouping")).to_be_visible()
    expect(figures.get_by_role("row", name=re.compile("New-tie ratio"))).to_contain_text("%")
    first = facilitator.get_by_role("region", name="Round 1").get_by_role("article").first
    expect(first.get_by_role("list", name="Why this circle")).to_contain_text("new tie")

    move_one_member(facilitator, demo)
    home = facilitator.get_by_role("article").filter(
        has=facilitator.locator(".member-name", has_text=re.compile(
            rf"^{re.escape(member_name)}$")))
    expect(home).to_have_count(1)

    # The demo's circles formed by hand are still open: publishing closes them by default.
    mine = member.get_by_role("region", name="My circles")
    before = mine.get_by_role("heading", level=3).all_inner_texts()
    assert before, "the demo member sits in a circle formed by hand"
    badge = member.locator(".notifications-link")
    unread_before = int(badge.locator(".unread-count").inner_text() or 0) \
        if badge.locator(".unread-count").count() else 0
    expect(facilitator.get_by_text(re.compile(r"circles? (are|is) still open that this plan "
                                              r"did not form"))).to_be_visible()
    expect(facilitator.get_by_label("Close them (their upcoming sessions are called off)")) \
        .to_be_checked()
    facilitator.get_by_role("button", name="Publish round 1").click()
    expect(facilitator).to_have_url(re.compile(r"/communities/\d+$"))
    expect(facilitator.get_by_role("status").filter(has_text="Published")).to_be_visible()

    # Without a reload: the banner, the list below it (new circle in, old ones out) and the
    # badge, which comes with the pushed notification.
    notice = member.locator("#live-notice")
    expect(notice).to_contain_text("You were placed in a new circle")
    placed = notice.inner_text().removeprefix("You were placed in a new circle: ")
    placed = placed.split(" — ")[0].strip()
    assert re.fullmatch(r"[A-Z][a-z]+ circle", placed), placed
    expect(mine.get_by_role("link", name=placed, exact=True)).to_be_visible()
    expect(mine.locator(".circle-card")).to_have_count(1)
    expect(mine).to_contain_text("Round 1")
    for old_name in before:
        expect(mine.get_by_role("link", name=old_name, exact=True)).to_have_count(0)
    expect(badge.locator(".unread-count")).to_have_text(re.compile(r"^\d+$"))
    assert int(badge.locator(".unread-count").inner_text()) > unread_before
    member.reload()  # and what a reload shows agrees
    expect(mine.get_by_role("link", name=placed, exact=True)).to_be_visible()
    expect(mine.locator(".circle-card")).to_have_count(1)
