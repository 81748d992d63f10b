"""WCAG 2.2 AA in a real browser: axe-core on every page a person can reach, as a visitor, a
member, a facilitator and a site administrator, at desktop (1280×800) and phone (390×844)
sizes — zero violations — plus targets of at least 24×24 px and text at 200 % without
sideways scrolling.

The pages come from the app's url_map: every GET route is visited or listed in
``NOT_PAGES`` with the reason, so a new page fails here until it is checked. The ids come
from the authorisation world (tests/support/authz_world.py: a started live session, an
introduction, a pulse, a formation run, e-mailed links …) built next to the demo community
(``flask demo load``), whose pages carry a realistic programme under way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from tests.browser.a11y import axe_violations, small_targets
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.pages import load_demo, log_in
from tests.support import authz_world, live
from tests.support.authz_matrix import (
    ADMIN,
    EVERYONE,
    FACILITATOR,
    MATRIX,
    OWNER,
    PEER,
    STRANGER,
)
from tests.support.authz_routes import url_for_rule
from tests.support.live import PASSWORD, LiveServer, app_on, server_pool

pytestmark = [pytest.mark.browser, pytest.mark.live]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DEMO_PASSWORD = "circles-demo"
DEMO_FACILITATOR = "facilitator@demo.circles.example"
TWO_FACTOR_EMAIL = "two.factor@example.org"

#: GET routes that are not pages a person reads: data, files, feeds, the API.
NOT_PAGES = {
    "static": "CSS, JS and images",
    "vendor.asset": "third-party JS from node_modules",
    "health.health": "a JSON probe for load balancers",
    "network.data": "the JSON the network drawing reads",
    "network.export_graphml": "a GraphML file to download",
    "network.export_json": "a JSON file to download",
    "account.export": "a JSON file to download",
    "sessions.feed": "an iCalendar feed",
    "sessions.session_ics": "an iCalendar file",
    "onboarding.claim_links": "a CSV file to download",
    "formation.status": "JSON polled by the formation page",
    "home.my_circles": "the dashboard's circle list alone, which the dashboard fetches",
    "api_meta.unknown": "the JSON API",
    "api_meta.openapi_json": "the JSON API",
}
#: People of the authorisation world by the part they play here.
ROLE_EMAIL = {role: f"{role}@example.org" for role in (OWNER, PEER, STRANGER, FACILITATOR, ADMIN)}


@dataclass
class Site:
    server: LiveServer
    world: authz_world.World
    html_endpoints: set[str]
    visits: list[tuple[str, str, str]]  # (who, path, endpoint)
    demo: dict[str, Any] = field(default_factory=dict)


def plan(app: Any, world: authz_world.World) -> tuple[set[str], list[tuple[str, str, str]]]:
    """Every GET page of the url_map, with who visits it: a visitor where anyone may, the
    member (Ola; Pia or Sam where only they may), the facilitator and the administrator."""
    endpoints: set[str] = set()
    visits: list[tuple[str, str, str]] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.startswith("api."):
            continue
        if rule.endpoint in NOT_PAGES:
            continue
        endpoints.add(rule.endpoint)
        if rule.endpoint == "auth.second_factor":  # reached by logging in (second_factor())
            continue
        row = MATRIX[(rule.endpoint, "GET")]
        path = url_for_rule(app, rule, world, row.args)
        who = []
        if row.anonymous == "reach":
            who.append("anonymous")
        member = next((r for r in (OWNER, PEER, STRANGER) if r in row.allow), None)
        # A page about oneself looks the same to a facilitator: the member sees it full,
        # the administrator (in no community) as a newcomer sees it, empty.
        # A public page is seen by a visitor and a member.
        if rule.endpoint == "home.index":
            roles: tuple[str | None, ...] = (member, FACILITATOR, ADMIN)
        elif row.anonymous == "reach":
            roles = (member,)
        elif row.allow == EVERYONE:
            roles = (member, ADMIN)
        else:
            roles = (member, FACILITATOR, ADMIN)
        who += [r for r in roles if r and r in row.allow]
        visits += [(role, path, rule.endpoint) for role in who]
    return endpoints, visits


def seed(server: LiveServer) -> tuple[authz_world.World, dict[str, Any]]:
    """The authorisation world beside the demo; a member with two-factor on; an address
    change waiting for its link; the demo's member, circle and community."""
    from circles.demo.community import demo_logins
    from circles.extensions import orm
    from circles.members import accounts, credentials
    from circles.models import Circle, CircleMember, OutboxMessage, User

    with app_on(server.env["DATABASE_URL"], SECRET_KEY=server.env["SECRET_KEY"]) as app:
        world = authz_world.build(app)
        with app.app_context():
            db = orm.session
            guarded = accounts.sign_up(db, email=TWO_FACTOR_EMAIL, password=PASSWORD,
                                       display_name="Tova Twofactor", timezone="UTC")
            guarded.totp_secret = "JBSWY3DPEHPK3PXP"
            uma = db.scalars(select(User).where(User.email == "uma@example.org")).one()
            credentials.request_email_change(db, uma, new_email="uma.new@example.org",
                                             password=PASSWORD, secret=server.env["SECRET_KEY"])
            db.flush()
            link = db.scalars(select(OutboxMessage.link).where(
                OutboxMessage.to == "uma.new@example.org")).one()
            member = next(email for email, _, role in demo_logins(db) if role == "member")
            member_id = db.scalar(select(User.id).where(User.email == member))
            circle_id = db.scalar(select(CircleMember.circle_id).where(
                CircleMember.user_id == member_id, CircleMember.left_at.is_(None)))
            community_id = db.scalar(select(Circle.community_id).where(Circle.id == circle_id))
            db.commit()
        demo = {"member": member, "circle": circle_id, "community": community_id,
                "email_change": link, "endpoints": plan(app, world)}
    return world, demo


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Site]:
    with (pytest.MonkeyPatch.context() as patch,
          server_pool(tmp_path_factory.mktemp("a11y"), migrated_sqlite) as start):
        # On a machine shared by many test runs a cold start can pass the usual 20 s.
        patch.setattr(live, "START_TIMEOUT", 90.0)
        server = start(FLASK_LOGIN_RATE_LIMIT="1000 per minute",
                       FLASK_SHOW_DEV_OUTBOX="true")
        load_demo(server)
        world, demo = seed(server)
        endpoints, visits = demo.pop("endpoints")
        yield Site(server, world, endpoints, visits, demo)


class People:
    """One browser context per person, reused for every page they visit."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self.pages: dict[str, Page] = {}
        self.contexts: list[BrowserContext] = []

    def page(self, who: str) -> Page:
        if who not in self.pages:
            context = self.browser.new_context(base_url=self.server.url, viewport=DESKTOP)  # type: ignore[arg-type]
            context.set_default_timeout(TIMEOUT_MS)
            self.contexts.append(context)
            page = context.new_page()
            if who in ROLE_EMAIL:
                log_in(page, email=ROLE_EMAIL[who], password=PASSWORD)
            elif who.startswith("demo "):
                log_in(page, email=who.removeprefix("demo "), password=DEMO_PASSWORD)
            self.pages[who] = page
        return self.pages[who]

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Browser, site: Site) -> Iterator[People]:
    found = People(browser, site.server)
    yield found
    found.close()


def settle(page: Page) -> None:
    """Wait for what the page's scripts draw: the live room's join, the network drawing."""
    page.wait_for_load_state("load")
    if page.locator("#live-room").count():
        expect(page.locator("html")).to_have_attribute("data-room", "joined")
    if page.locator("#network-graph").count():
        expect(page.locator("#network-graph")).to_have_attribute("data-ready", "true")


def check(page: Page, label: str) -> list[str]:
    """axe at both sizes, and the target sizes, on the page as loaded."""
    problems: list[str] = []
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        for v in axe_violations(page):
            problems.append(f"{label} [{name}] {v['id']} ({v['impact']}): {v['help']}\n      "
                            + "\n      ".join(v["nodes"]))
        problems += [f"{label} [{name}] target under 24×24 px: {t}" for t in small_targets(page)]
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    return problems


def visit(page: Page, path: str, label: str) -> list[str]:
    began = time.monotonic()
    try:
        return _visit(page, path, label)
    finally:
        print(f"{time.monotonic() - began:5.1f} s  {label}", flush=True)


def _visit(page: Page, path: str, label: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status == 200, (label, path, response)
    assert response.headers.get("content-type", "").startswith("text/html"), (label, path)
    settle(page)
    return check(page, label)


def test_every_page_has_no_wcag_violations(site: Site, people: People) -> None:
    started = time.process_time()
    problems: list[str] = []
    visited: set[str] = set()
    for who, path, endpoint in site.visits:
        problems += visit(people.page(who), path, f"{endpoint} as {who} ({path})")
        visited.add(endpoint)
    # The pages a token leads to before one logs in, and the second step of a log-in.
    anonymous = people.page("anonymous")
    problems += visit(anonymous, site.demo["email_change"], "e-mailed address change")
    visited.add("email_links.confirm_email")
    problems += second_factor(people.page("two-factor"))
    visited.add("auth.second_factor")
    # The demo's pages as its people see them.
    member, facilitator = (people.page(f"demo {site.demo['member']}"),
                           people.page(f"demo {DEMO_FACILITATOR}"))
    for path in ("/", "/network", f"/circles/{site.demo['circle']}", "/profile", "/goals"):
        problems += visit(member, path, f"demo member {path}")
    community = f"/communities/{site.demo['community']}"
    for path in ("/", community, f"{community}/network", f"{community}/formation/new"):
        problems += visit(facilitator, path, f"demo facilitator {path}")
    problems += csv_import(facilitator, community)
    # The development outbox (make run shows it): as a member sees it there.
    problems += visit(people.page(OWNER), "/dev/outbox", "development outbox")
    visited.add("notifications.outbox")
    assert problems == [], "\n".join(problems)
    assert site.html_endpoints - visited == set(), "pages nobody checked"
    print(f"{len(site.visits) + 15} pages × 2 sizes, "
          f"{time.process_time() - started:.1f} s of the test process's CPU")


def second_factor(page: Page) -> list[str]:
    page.goto("/login")
    page.get_by_label("E-mail").fill(TWO_FACTOR_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/code")
    settle(page)
    return check(page, "second log-in step")


GOOD_CSV = ("name,email,organisation,department,team\n"
            "Ana Silva,ana.silva@example.org,Acme,Finance,FIN-2\n"
            "Bo Chen,bo.chen@example.org,Acme,Finance,FIN-2\n")
BAD_CSV = ("name,email,organisation\n"
           ",nobody@example.org,Acme\n"
           "Chidi Okafor,not-an-address,Globex\n")


def csv_import(page: Page, community: str) -> list[str]:
    """The import's report with errors, its preview and its result (pages a POST answers)."""
    problems: list[str] = []
    for name, body in (("with errors", BAD_CSV), ("preview", GOOD_CSV)):
        page.goto(f"{community}/import")
        page.get_by_label("Members (CSV)").set_input_files(
            files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": body.encode()}])
        page.get_by_role("button", name="Check the files").click()
        settle(page)
        problems += check(page, f"CSV import {name}")
    page.get_by_role("button", name="Import 2 members").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imported into")
    settle(page)
    return problems + check(page, "CSV import result")


# ---------- text at 200 %, the network in words ----------

#: A 1280×800 window at 200 % browser zoom lays pages out in 640×400 CSS pixels.
ZOOMED = {"width": 640, "height": 400}
OVERFLOW = """() => ({ page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  main: Array.from(document.querySelectorAll('main *')).filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 0.5
      && !el.closest('.visually-hidden, table.data');  // a data table scrolls in its own box
  }).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className).slice(0, 8) })"""


def test_text_at_200_percent_never_scrolls_sideways(site: Site, people: People) -> None:
    member = people.page(f"demo {site.demo['member']}")
    facilitator = people.page(f"demo {DEMO_FACILITATOR}")
    owner = people.page(OWNER)
    community = f"/communities/{site.demo['community']}"
    pages = [(member, "/"), (member, "/network"), (member, f"/circles/{site.demo['circle']}"),
             (member, "/profile"), (facilitator, community), (facilitator, f"{community}/network"),
             (owner, f"/sessions/{site.world.ids['session']}/live"),
             (people.page("anonymous"), "/login")]
    wide = []
    for page, path in pages:
        page.set_viewport_size(ZOOMED)  # type: ignore[arg-type]
        page.goto(path)
        settle(page)
        found = page.evaluate(OVERFLOW)
        if found["page"] > 0 or found["main"]:
            wide.append((path, found))
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    assert wide == [], wide


def test_my_network_says_in_words_what_the_drawing_shows(site: Site, people: People) -> None:
    page = people.page(f"demo {site.demo['member']}")
    page.goto("/network")
    settle(page)
    data = page.evaluate("() => fetch('/network/data.json').then(r => r.json())")
    names = {n["id"]: n["name"] for n in data["nodes"]}
    ego = next(n["id"] for n in data["nodes"] if n.get("ego"))
    listing = page.get_by_role("list", name="People in your network")
    page.locator("summary", has_text="Your network as a list").click()
    expect(listing).to_be_visible()
    text = listing.inner_text()
    for edge in data["edges"]:
        if ego not in (edge["source"], edge["target"]):
            continue
        other = names[edge["target"] if edge["source"] == ego else edge["source"]]
        assert other in text  # who
        how = edge["how"].rstrip(".").lower()
        assert how in text.lower(), (other, how)  # how you know them
    new = [e for e in data["edges"] if e["new"] and ego in (e["source"], e["target"])]
    assert text.count("new this round") >= len(new) > 0  # what is new, in words
    # The drawing is an image that points to the list; the legend names every colour.
    expect(page.locator("#network-graph")).to_have_attribute("role", "img")
    legend = page.locator("#network-legend li")
    assert legend.count() >= 1 and all(t.strip() for t in legend.all_inner_texts())


def test_logging_in_asks_no_puzzle(site: Site, people: People) -> None:
    """WCAG 3.3.8: an address and a password a password manager may fill; nothing to solve,
    copy out or remember besides."""
    page = people.page("anonymous")
    page.goto("/login")
    form = page.locator("main form")
    fields = form.locator("input:not([type=hidden]), select, textarea, img, canvas, iframe")
    expect(fields).to_have_count(2)
    expect(form.get_by_label("E-mail")).to_have_attribute("autocomplete", "username")
    expect(form.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    assert page.evaluate("() => document.querySelector('[onpaste], [oncopy]') === null")
