"""Readable on every screen (issue 17, item 6), measured in Chromium on the demo community:

- My network's drawing opens fitted to its box, every person inside it, no two names over
  each other, not a clump, at 1280×800 and 390×844, for the demo's small network and for a
  generated one of 40 people;
- the community report's charts keep one unit each (per-member means apart from counts);
- at 390 px the main pages never scroll sideways, the menu folds behind one button (without
  JS too) and leaves the screen to the page, long tables become cards;
- the roster comes 25 at a time and opens a role form only on the row asked for;
- the CSV import report says each problem once; the notification settings table is styled.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.pages import load_demo, log_in
from tests.support.live import PASSWORD, LiveServer, app_on, server_pool

pytestmark = [pytest.mark.browser, pytest.mark.live]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
DEMO_PASSWORD = "circles-demo"
FACILITATOR = "facilitator@demo.circles.example"
#: Most a header may take above the content on a phone (it was ~240 px).
MENU_MAX_PX = 80
GENERATED_PEOPLE = 40
GENERATED_EMAIL = "nia.network@example.org"


@dataclass
class Demo:
    server: LiveServer
    member: str  # a demo member in a circle
    community_id: int
    circle_id: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Demo]:
    """One server for the module: the demo community, plus a member with a generated network."""
    with server_pool(tmp_path_factory.mktemp("screens"), migrated_sqlite) as start:
        # Many log-ins from one address within a minute: more than a person makes.
        server = start(FLASK_LOGIN_RATE_LIMIT="1000 per minute")
        load_demo(server)
        yield Demo(server, *seed(server))


def seed(server: LiveServer) -> tuple[str, int, int]:
    """The demo's first member and their circle; and Nia, whose network is 40 people from eight
    organisations, every fourth of them in a circle together, with names short and long."""
    from circles.communities.community import create_community
    from circles.demo.community import demo_logins
    from circles.extensions import orm
    from circles.members import accounts
    from circles.models import Circle, CircleMember, Community, Membership, User
    from circles.network.ties import add_tie

    rng = random.Random(17)
    firsts = ["Ana", "Bartholomew", "Chidi", "Dagny", "Esperanza", "Fen", "Guðrún", "Hiroshi",
              "Ifeoma", "Jo", "Krystyna", "Lior", "Maximiliana", "Noor"]
    lasts = ["Li", "Okonkwo-Adeyemi", "Featherstonehaugh", "Silva", "Nakamura", "Ng",
             "Vasquez de la Torre", "Berg"]
    orgs = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"]
    with app_on(server.env["DATABASE_URL"]) as app, app.app_context():
        db = orm.session
        member = next(email for email, _, role in demo_logins(db) if role == "member")
        user_id = db.scalar(select(User.id).where(User.email == member))
        circle_id = db.scalar(select(CircleMember.circle_id).where(
            CircleMember.user_id == user_id, CircleMember.left_at.is_(None)))
        community_id = db.scalar(select(Circle.community_id).where(Circle.id == circle_id))
        nia = accounts.sign_up(db, email=GENERATED_EMAIL, password=PASSWORD,
                               display_name="Nia Network")
        nia.organisation = "Circles"
        community = create_community(db, nia, name="Generated network")
        others = []
        for n in range(GENERATED_PEOPLE):
            other = User(email=f"gen{n}@example.org", password_hash=nia.password_hash,
                         display_name=f"{rng.choice(firsts)} {rng.choice(lasts)}",
                         organisation=orgs[n % len(orgs)], department="Team", strengths=[],
                         questions=[], learning_goals=[], boundaries=[], success_criteria=[],
                         availability=[])
            db.add(other)
            others.append(other)
        db.flush()
        for other in others:
            db.add(Membership(community=community, user=other, role="member"))
            add_tie(db, nia.id, other.id, source="declared", community_id=community.id)
        for a, b in zip(others[::4], others[1::4], strict=False):
            add_tie(db, a.id, b.id, source="declared", community_id=community.id)
        db.commit()
        assert isinstance(db.get(Community, community_id), Community)
        return member, community_id, circle_id


@pytest.fixture
def person(browser: Browser, demo: Demo) -> Iterator[Any]:
    """``person(email, viewport, javascript=True)`` → a logged-in page in its own context."""
    contexts: list[BrowserContext] = []

    def open_as(email: str, viewport: dict[str, int], password: str = DEMO_PASSWORD,
                javascript: bool = True) -> Page:
        context = browser.new_context(base_url=demo.server.url, viewport=viewport,  # type: ignore[arg-type]
                                      java_script_enabled=javascript)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        log_in(page, email=email, password=password)
        return page

    yield open_as
    for context in contexts:
        context.close()


# ---------- the network drawing ----------

GEOMETRY = """() => {
  const box = document.getElementById('network-graph');
  const cy = box.cytoscape || box._cyreg.cy;  // the page's handle, or cytoscape's own
  return { width: box.clientWidth, height: box.clientHeight, zoom: cy.zoom(),
    nodes: cy.nodes().map(n => {
      const b = n.renderedBoundingBox({ includeLabels: true, includeOverlays: false });
      const label = n.style('label');
      const font = parseFloat(n.style('font-size')) * cy.zoom();
      const shown = label !== '' && font >= parseFloat(n.style('min-zoomed-font-size'));
      return { label, shown, font, x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 };
    }) };
}"""


def open_drawing(page: Page) -> dict[str, Any]:
    page.goto("/network")
    expect(page.locator("#network-graph")).to_have_attribute("data-ready", "true")
    geometry: dict[str, Any] = page.evaluate(GEOMETRY)
    return geometry


def overlapping(a: dict[str, float], b: dict[str, float]) -> bool:
    return (min(a["x2"], b["x2"]) - max(a["x1"], b["x1"]) > 0.5
            and min(a["y2"], b["y2"]) - max(a["y1"], b["y1"]) > 0.5)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
@pytest.mark.parametrize("who", ["demo member", "40 people"])
def test_the_network_drawing_fits_and_no_names_overlap(person: Any, demo: Demo,
                                                       viewport: dict[str, int], who: str) -> None:
    email, password = ((demo.member, DEMO_PASSWORD) if who == "demo member"
                       else (GENERATED_EMAIL, PASSWORD))
    page = person(email, viewport, password)
    drawing = open_drawing(page)
    nodes = drawing["nodes"]
    assert len(nodes) >= (GENERATED_PEOPLE + 1 if who == "40 people" else 4)
    for node in nodes:  # everyone inside the box, name and all
        assert node["x1"] >= -0.5 and node["y1"] >= -0.5, node
        assert node["x2"] <= drawing["width"] + 0.5 and node["y2"] <= drawing["height"] + 0.5, node
    shown = [n for n in nodes if n["shown"]]
    clashes = [(a["label"], b["label"]) for i, a in enumerate(shown) for b in shown[i + 1:]
               if overlapping(a, b)]
    assert clashes == [], f"names over each other: {clashes}"
    # Every name is drawn, at a size a person reads (the demo's names in full).
    assert len(shown) == len(nodes), [n["label"] for n in nodes if not n["shown"]]
    assert min(n["font"] for n in shown) >= 8, drawing["zoom"]
    if who == "demo member":
        assert all(" " in n["label"] for n in shown if n["label"] != "You")
    # Not a clump: the people spread over most of the box one way or the other.
    spread_x = max(n["x2"] for n in nodes) - min(n["x1"] for n in nodes)
    spread_y = max(n["y2"] for n in nodes) - min(n["y1"] for n in nodes)
    assert spread_x >= 0.6 * drawing["width"] or spread_y >= 0.6 * drawing["height"], \
        (spread_x, spread_y, drawing["width"], drawing["height"])
    # Not over-zoomed either: a small network is spread out, its names not blown up.
    assert max(n["font"] for n in shown) <= 16


# ---------- the community report's charts ----------

CHARTS = """() => Array.from(document.querySelectorAll('#community-network svg.chart')).map(svg => {
  const ticks = Array.from(svg.querySelectorAll('line.tick')).map(l => (
    { value: Number(l.dataset.value), y: l.getBoundingClientRect().top }));
  const marks = {};
  svg.querySelectorAll('[data-series]').forEach(m => {
    const r = m.getBoundingClientRect();
    const top = m.tagName === 'circle' ? r.top + r.height / 2 : r.top;
    (marks[m.dataset.series] = marks[m.dataset.series] || []).push(top);
  });
  return { ticks, marks };
})"""


def test_the_community_charts_keep_one_unit_each(person: Any, demo: Demo) -> None:
    page = person(FACILITATOR, DESKTOP)
    page.goto(f"/communities/{demo.community_id}/network")
    expect(page.locator("#community-network svg.chart")).to_have_count(2)
    charts = page.evaluate(CHARTS)
    per_member = {"mean_new_ties", "p10_new_ties", "mean_range_growth"}
    counts = {"ties_created", "cross_org_ties"}
    for chart in charts:
        series = set(chart["marks"])
        assert series <= per_member or series <= counts, f"one chart mixes units: {series}"
        zero = next(t["y"] for t in chart["ticks"] if t["value"] == 0)
        top = min(t["y"] for t in chart["ticks"])
        # The axis fits the figures it carries: the tallest reaches at least half of it (a
        # smaller series of the same unit may rightly stay low).
        tallest = max(zero - min(tops) for tops in chart["marks"].values())
        assert tallest >= 0.5 * (zero - top), (chart["marks"].keys(), tallest, zero - top)
    assert {k for c in charts for k in c["marks"]} == per_member | counts


# ---------- phones: the main pages, the menu, long tables ----------

BAD_CSV = ("name,email,organisation,department,team\n"
           "Ana Silva,ana.silva@example.org,Acme Corporation International,Finance and Controlling,FIN-2\n"
           ",bo.chen@example.org,Acme,Finance,FIN-2\n"
           "Chidi Okafor,not-an-address,Globex,Research,\n"
           "Dora Long-Name-Person,dora@example.org,Umbrella Pharmaceutical Research Laboratories,Trials,\n"
           "Dora Again,dora@example.org,Umbrella,Trials,\n")
BAD_EMAIL = "line 4, email: 'not-an-address' is not a valid e-mail address"


def upload_bad_csv(page: Page, community_id: int) -> None:
    page.goto(f"/communities/{community_id}/import")
    page.get_by_label("Members (CSV)").set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}])
    page.get_by_role("button", name="Check the files").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("check the report")
    page.wait_for_load_state("load")  # measured with its stylesheet, as the other pages are


def layout(page: Page) -> dict[str, float]:
    return page.evaluate("""() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      header: document.querySelector('header.site').getBoundingClientRect().height,
      content: document.querySelector('main').getBoundingClientRect().top })""")


def cells_beyond(page: Page, selector: str) -> list[str]:
    """Table cells of ``selector`` that reach past the right edge of the screen."""
    return page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector))
      .filter(td => td.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map(td => td.textContent.trim().slice(0, 40))""", selector)


def test_the_main_pages_fit_a_phone(person: Any, demo: Demo) -> None:
    facilitator = person(FACILITATOR, PHONE)
    member = person(demo.member, PHONE)
    pages = [
        (member, "/", "dashboard"),
        (member, f"/circles/{demo.circle_id}", "circle page"),
        (facilitator, f"/communities/{demo.community_id}", "community page"),
        (member, "/network", "my network"),
        (facilitator, f"/communities/{demo.community_id}/network", "community report"),
        (member, "/notifications/settings", "notification settings"),
        (member, "/profile", "profile"),
    ]
    for page, path, name in pages:
        page.goto(path)
        page.wait_for_load_state("load")
        found = layout(page)
        assert found["scrollWidth"] <= found["clientWidth"], (name, found)
        assert found["header"] <= MENU_MAX_PX and found["content"] <= MENU_MAX_PX, (name, found)
    upload_bad_csv(facilitator, demo.community_id)
    found = layout(facilitator)
    assert found["scrollWidth"] <= found["clientWidth"], ("CSV import report", found)
    # The long tables are cards here: nothing hides off to the side of the screen.
    assert cells_beyond(facilitator, "main table td, main table th") == []
    facilitator.goto(f"/communities/{demo.community_id}")
    assert cells_beyond(facilitator, "section.roster td") == []


def test_the_menu_folds_on_a_phone_and_opens_with_or_without_javascript(
        person: Any, demo: Demo) -> None:
    for javascript in (True, False):
        page = person(demo.member, PHONE, javascript=javascript)
        toggle = page.locator("header.site summary")
        network_link = page.get_by_role("link", name="My network")
        expect(toggle).to_be_visible()
        expect(network_link).to_be_hidden()
        toggle.click()
        expect(network_link).to_be_visible()
        assert expanded(page) is True
        network_link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My network")
        expect(network_link).to_be_hidden()
        assert expanded(page) is False
    wide = person(demo.member, DESKTOP)
    expect(wide.get_by_role("link", name="My network")).to_be_visible()
    expect(wide.locator("header.site summary")).to_be_hidden()
    assert layout(wide)["header"] <= MENU_MAX_PX


def expanded(page: Page) -> bool | None:
    """What assistive technology is told about the menu button: expanded or not."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    for node in tree["nodes"]:
        if node.get("name", {}).get("value") == "Menu" and not node.get("ignored"):
            for prop in node.get("properties", []):
                if prop["name"] == "expanded":
                    return bool(prop["value"]["value"])
    return None


def test_the_roster_comes_a_page_at_a_time_and_changes_a_role_only_when_asked(
        person: Any, demo: Demo) -> None:
    page = person(FACILITATOR, DESKTOP)
    page.goto(f"/communities/{demo.community_id}")
    roster = page.locator("section.roster")
    expect(roster.locator("tbody tr")).to_have_count(25)
    expect(roster.locator("select")).to_have_count(0)
    pages = roster.get_by_role("navigation", name="Pages of members")
    pages.get_by_role("link", name="2", exact=True).click()
    expect(roster).to_contain_text("26–50 of")
    row = roster.locator("tbody tr").nth(3)
    name = row.get_by_role("link").first.inner_text()
    row.get_by_role("link", name=f"Change role of {name}").click()
    expect(roster.locator("select")).to_have_count(1)
    row.get_by_label(f"Role of {name}").select_option("facilitator")
    row.get_by_role("button", name="Save role").click()
    expect(page.get_by_role("status").filter(has_text=f"{name} is now a facilitator")).to_be_visible()
    expect(roster).to_contain_text("26–50 of")  # back on the same page
    expect(roster.locator("tr").filter(has_text=name)).to_contain_text("facilitator")
    expect(roster.locator("select")).to_have_count(0)


def test_the_csv_report_says_each_problem_once(person: Any, demo: Demo) -> None:
    page = person(FACILITATOR, DESKTOP)
    upload_bad_csv(page, demo.community_id)
    text = page.locator("main").inner_text()
    assert text.count(BAD_EMAIL) == 1, text
    assert text.count("'dora@example.org' is also on line 5") == 1
    expect(page.locator("tr.has-error")).to_have_count(3)


def test_the_notification_settings_table_is_styled_like_the_others(person: Any, demo: Demo) -> None:
    page = person(demo.member, DESKTOP)
    page.goto("/notifications/settings")
    style = page.evaluate("""() => {
      const table = document.querySelector('main form table');
      const notice = table.querySelector('tbody th');
      const box = table.querySelector('tbody td');
      const s = getComputedStyle(notice);
      const tick = box.querySelector('input').getBoundingClientRect();
      const cell = box.getBoundingClientRect();
      return { align: s.textAlign, border: parseFloat(s.borderBottomWidth),
               tableWidth: table.getBoundingClientRect().width,
               formWidth: table.closest('form').getBoundingClientRect().width,
               centred: Math.abs((tick.left + tick.right) / 2 - (cell.left + cell.right) / 2) };
    }""")
    assert style["align"] in ("left", "start"), style
    assert style["border"] >= 1, style
    assert style["tableWidth"] >= 0.95 * style["formWidth"], style
    assert style["centred"] <= 2, style
