"""Hostile text never runs: hypothesis draws strings made of script tags, attribute
breakers, ``javascript:`` URLs, template syntax, RTL and zero-width characters; they are
stored as a member's name and question, an agenda item, a contribution, the shared and a
private note, feedback, a commitment, a circle goal and an external contact; then every
page and the live room that show them are rendered in Chromium. No injected code may run
and the Content-Security-Policy must not even have to block anything (the text was never
parsed as markup), while the text itself is shown as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page, expect

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.live import agenda, feedback, notes, phases, presence
from circles.live.room import current_phase
from circles.members import accounts
from circles.models import (
    CircleGoal,
    Commitment,
    ExternalContact,
    Membership,
    Question,
    User,
)
from tests.browser.pages import log_in, settled
from tests.support.live import LiveServer, app_on, copy_sqlite
from tests.support.live_room import new_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "correct horse battery"
#: Runs before any page script: the tripwire injected code would call, and every violation.
TRIPWIRE = """
window.__pwned = [];
window.__pwn = n => window.__pwned.push(n);
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
"""
FRAGMENTS = [
    "<script>__pwn(1)</script>", "<img src=x onerror=__pwn(2)>", '"><svg onload=__pwn(3)>',
    "'><body onload=__pwn(4)>", "javascript:__pwn(5)", "</textarea><script>__pwn(6)</script>",
    '<a href="javascript:__pwn(7)">x</a>', "</script><script>__pwn(8)</script>",
    '<iframe srcdoc="<script>parent.__pwn(9)</script>">', "{{ 7*7 }}", "${__pwn(10)}",
    "&lt;b&gt;", "<style>*{display:none}</style>", "\u202e", "\u200b", "\u2066", "\u0000",
    "<!--", "]]>", "`;__pwn(11)//",
]
hostile = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS),
              st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=6)),
    min_size=1, max_size=4).map("".join).map(lambda s: s.replace("\u0000", "")) \
    .filter(lambda s: s.strip() != "")


@dataclass
class Stage:
    server: LiveServer
    app: Flask
    ola: int
    pia: int
    circle_id: int


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Stage]:
    """A live server with Ola and Pia in one circle and a live session."""
    base = tmp_path_factory.mktemp("xss")
    database = base / "live.sqlite3"
    copy_sqlite(migrated_sqlite, database)
    server = LiveServer(base / "server", {"DATABASE_URL": f"sqlite:///{database}",
                                          "FLASK_LIVE_FACILITATOR_GRACE": "5"})
    with app_on(f"sqlite:///{database}") as app:
        with app.app_context():
            db = orm.session
            ola, pia, fay = (accounts.sign_up(db, email=f"{n}@example.org", password=PASSWORD,
                                              display_name=n.title(), timezone="UTC")
                             for n in ("ola", "pia", "fay"))
            community = create_community(db, fay, name="Community")
            db.add_all([Membership(community=community, user=ola),
                        Membership(community=community, user=pia)])
            db.flush()
            circle = create_circle(db, community, ola, name="Circle",
                                   member_ids=[ola.id, pia.id])
            db.commit()
            ids = (ola.id, pia.id, circle.id)
        server.start(migrate=False)
        try:
            yield Stage(server, app, *ids)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def ola_page(browser: Browser, stage: Stage) -> Iterator[Page]:
    context = browser.new_context(base_url=stage.server.url)
    context.set_default_timeout(10_000)
    context.add_init_script(TRIPWIRE)
    page = context.new_page()
    log_in(page, email="ola@example.org", password=PASSWORD)
    yield page
    context.close()


def store(stage: Stage, text: str) -> int:
    """Put ``text`` everywhere members write, as Pia (seen by Ola) and as Ola herself, in a
    new live session taken to its feedback phase; its id is returned."""
    session_id = new_session(stage.app, stage.circle_id, {"facilitator": stage.ola,
                                                          "timekeeper": stage.pia})
    with stage.app.app_context():
        db = orm.session
        ola, pia = db.get_one(User, stage.ola), db.get_one(User, stage.pia)
        pia.display_name = text[:80]
        db.add(Question(user=pia, text=text[:500]))
        db.add(ExternalContact(owner_id=ola.id, name=text[:120], context="work", note=text))
        db.add(CircleGoal(circle_id=stage.circle_id, author_id=pia.id, text=text[:300],
                          target_date=date.today() + timedelta(days=30)))
        db.add(Commitment(circle_id=stage.circle_id, session_id=session_id,
                          user_id=ola.id, text=text[:500], due_on=date.today()))
        for member in (ola, pia):  # both were there: feedback goes between those present
            presence.join(db, member, session_id, f"sid-{member.id}-{session_id}")
        phases.start(db, ola, session_id)
        agenda.add_item(db, pia, session_id, text[:200], 10, None)
        agenda.contribute(db, pia, session_id, "checkin", text)
        notes.save_note(db, ola, session_id, False, text, 0)
        notes.save_note(db, ola, session_id, True, text, 0)
        while current_phase(db, session_id).kind != "feedback":  # type: ignore[union-attr]
            phases.advance(db, ola, session_id)
        feedback.give_feedback(db, pia, session_id, ola.id, text[:1000], text[:1000])
        db.commit()
    return session_id


def rendered(page: Page, path: str) -> tuple[list[int], list[str]]:
    page.goto(path)
    settled(page)
    return page.evaluate("window.__pwned"), page.evaluate("window.__csp")


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(text=hostile)
def test_hostile_text_is_shown_as_text_and_never_runs(stage: Stage, ola_page: Page,
                                                      text: str) -> None:
    session_id = store(stage, text)
    page = ola_page
    pages = ["/", f"/circles/{stage.circle_id}", f"/members/{stage.pia}", "/profile",
             "/goals", "/commitments", "/network", "/journal", "/notifications"]
    for path in pages:
        pwned, csp = rendered(page, path)
        assert (pwned, csp) == ([], []), (path, text)
    page.goto(f"/sessions/{session_id}/live")
    expect(page.locator("html")).to_have_attribute("data-room", "joined")
    settled(page)
    assert (page.evaluate("window.__pwned"), page.evaluate("window.__csp")) == ([], []), text
    # Shown as text: the shared note holds exactly what was stored.
    shared = page.locator("#note-shared textarea, textarea#shared-note").first
    if shared.count():
        expect(shared).to_have_value(text)
