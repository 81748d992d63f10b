"""Circles in Spanish, end to end in a real browser: a newcomer whose browser asks for Spanish
signs up, picks Spanish in their profile, joins a community, opens their circle and its live
room, and no English word of the interface is left on any of those pages (docs/languages.md).

"English words" are the words of the English catalogue that the Spanish catalogue never
uses: what remains on a page after the member data is taken out must include none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.models import Circle, CircleSession, Community, SessionRole, User, utcnow
from tests.browser.conftest import TIMEOUT_MS
from tests.support.live import PASSWORD, LiveServer, emailed_link, http_session

pytestmark = [pytest.mark.browser, pytest.mark.live]

ROOT = Path(__file__).resolve().parent.parent.parent
NEWCOMER = {"name": "Lucía Fernández", "email": "lucia@example.org"}
FACILITATOR = "Ada Rosales"
COMMUNITY = "Cohorte de primavera"
CIRCLE = "Búhos nocturnos"
#: What members typed and the brand: not interface words, whatever the language.
MEMBER_DATA = {"lucía", "fernández", "ada", "rosales", "cohorte", "primavera", "búhos",
               "nocturnos", "circles", "lucia", "example", "org"}
WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")


def english_words() -> set[str]:
    """Words of English msgids that no Spanish msgstr contains."""
    with (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = [m for m in read_po(po) if m.id]
    def words(texts: object) -> set[str]:
        found: set[str] = set()
        for text in texts if isinstance(texts, tuple) else (texts,):
            found |= {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)[sd]", " ", str(text)))}
        return found
    english = set().union(*(words(m.id) for m in catalogue))
    spanish = set().union(*(words(m.string) for m in catalogue))
    return english - spanish


ENGLISH = english_words()


def english_left(page: Page) -> list[str]:
    """English interface words visible on ``page`` (time zone names in lists aside)."""
    expect(page.locator("html")).to_have_attribute("lang", "es")
    text = page.locator("body").inner_text()
    zones = " ".join(page.locator("select[name$='timezone'] option").all_inner_texts())
    zone_names = {w.lower() for w in WORD.findall(zones)}  # "MET", "Port_of_Spain": data
    text = re.sub(r"\b[A-Z][A-Za-z_]+/[A-Za-z_/+-]+\b", " ", text)  # Europe/Madrid, …
    return sorted({w for w in WORD.findall(text) if w.lower() in ENGLISH
                   and w.lower() not in MEMBER_DATA | zone_names})


@pytest.fixture
def spanish_page(browser: Browser, live: LiveServer) -> Iterator[Page]:
    """A browser that asks for Spanish (Accept-Language: es-ES), like a person's in Madrid."""
    context = browser.new_context(base_url=live.url, locale="es-ES",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def facilitator_and_community(server: LiveServer) -> tuple[int, str]:
    """The facilitator's account (through the real form) and their community; its id and
    invite code."""
    http_session(server).signup("ada@example.org", FACILITATOR)
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            ada = db.scalars(select(User).where(User.email == "ada@example.org")).one()
            community = create_community(db, ada, name=COMMUNITY)
            db.commit()
            return community.id, community.invite_code
    finally:
        engine.dispose()


def place_in_a_circle_with_a_session(server: LiveServer, community_id: int) -> None:
    """The facilitator's part, through the domain: a circle of the two, a session now."""
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            community = db.get_one(Community, community_id)
            ids = {email: id_ for email, id_ in db.execute(select(User.email, User.id))}
            ada = db.get_one(User, ids["ada@example.org"])
            circle: Circle = create_circle(db, community, ada, name=CIRCLE,
                                           member_ids=[ada.id, ids[NEWCOMER["email"]]])
            session = CircleSession(circle_id=circle.id, title="Primera sesión",
                                    starts_at=utcnow())
            session.roles = [SessionRole(role="facilitator", user_id=ada.id),
                             SessionRole(role="timekeeper", user_id=ids[NEWCOMER["email"]]),
                             SessionRole(role="note_taker", user_id=ada.id)]
            db.add(session)
            db.commit()
    finally:
        engine.dispose()


def test_a_newcomer_reads_circles_in_spanish_from_sign_up_to_the_live_room(
        live: LiveServer, spanish_page: Page) -> None:
    page = spanish_page
    community_id, code = facilitator_and_community(live)

    page.goto("/")
    assert english_left(page) == []
    page.get_by_role("link", name="Registrarme").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Únete a Circles")
    assert english_left(page) == []
    page.get_by_label("Tu nombre").fill(NEWCOMER["name"])
    page.get_by_label("Correo electrónico").fill(NEWCOMER["email"])
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_label("Zona horaria").select_option("Europe/Madrid")
    page.get_by_role("button", name="Crear mi cuenta").click()

    expect(page).to_have_url(f"{live.url}/profile")
    assert english_left(page) == []
    page.get_by_label("Idioma").select_option("es")
    page.get_by_role("button", name="Guardar mis datos").click()
    expect(page.get_by_role("status").filter(has_text="Tus datos están guardados.")).to_be_visible()
    assert english_left(page) == []

    page.goto(emailed_link(live, NEWCOMER["email"], "/verify/"))
    assert english_left(page) == []
    page.get_by_role("button", name="Sí, esta dirección es mía").click()
    expect(page.get_by_role("status").filter(has_text="tu correo electrónico está verificado")
           ).to_be_visible()
    page.goto(f"/join/{code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(COMMUNITY)
    assert english_left(page) == []
    page.get_by_role("button", name=f"Unirme a {COMMUNITY}").click()
    expect(page.get_by_role("status").filter(has_text="Te damos la bienvenida")).to_be_visible()
    assert english_left(page) == []

    place_in_a_circle_with_a_session(live, community_id)
    page.get_by_role("link", name="Mis círculos").click()
    page.get_by_role("link", name=CIRCLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CIRCLE)
    assert english_left(page) == []

    page.get_by_role("link", name="Entrar en la sesión en vivo").click()
    expect(page.locator("html")).to_have_attribute("data-room", "joined")
    expect(page.locator("#room-status")).to_have_text("programada")
    assert english_left(page) == []


def a_community_to_form(server: LiveServer) -> int:
    """Ada (who chose Spanish) and her community: four who share Monday evenings, one who gave
    no hours, and Nia, who shares an hour with nobody; the community's id."""
    from tests.support.formation_world import MONDAY_1700_UTC, person

    community_id, _code = facilitator_and_community(server)
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            community = db.get_one(Community, community_id)
            db.scalars(select(User).where(User.email == "ada@example.org")).one().language = "es"
            for name in FORMED[:4]:
                person(db, community, name, windows=MONDAY_1700_UTC)
            person(db, community, FORMED[4])
            person(db, community, FORMED[5], tz="America/Mexico_City",
                   windows=[(5, 20 * 60, 21 * 60)])
            db.commit()
            return community_id
    finally:
        engine.dispose()


#: The members formed in Spanish; Nia (the last) shares no hour with anyone.
FORMED = ("Rosa Alba", "Marta Beltrán", "Pilar Calvo", "Inés Díaz", "Libre Siempre",
          "Nia Nueva")


def test_a_facilitator_forms_circles_in_spanish_and_reads_why_in_spanish(
        live: LiveServer, spanish_page: Page) -> None:
    """What formation writes where no reader is (the runner) and keeps with the run — why a
    member was set aside, the run's notes — reaches the facilitator in Spanish."""
    page = spanish_page
    community_id = a_community_to_form(live)
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill("ada@example.org")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.goto(f"/communities/{community_id}/formation/new")
    assert english_left(page) == []
    page.get_by_label("Grupo más pequeño").fill("4")
    page.get_by_label("Grupo más grande").fill("5")
    page.get_by_role("button", name="Formar círculos").click()
    not_placed = page.locator("section[aria-labelledby='excluded-heading']")
    expect(not_placed).to_contain_text("Nia Nueva")
    expect(not_placed).to_contain_text("Ninguna hora a la semana en la que otras 3 personas")
    expect(page.locator("p.note").first).to_be_visible()
    assert "1 miembro no indicó disponibilidad semanal" in page.locator("body").inner_text()
    data = MEMBER_DATA | {w.lower() for name in FORMED for w in name.split()}
    text = page.locator("body").inner_text()
    assert sorted({w for w in WORD.findall(text) if w.lower() in ENGLISH
                   and w.lower() not in data}) == []


def test_the_english_word_list_can_catch_an_english_page() -> None:
    """The check is not empty: the English front page is full of such words."""
    assert {"sign", "log", "profile", "password", "welcome", "save"} <= ENGLISH
    assert {"circles", "agenda"}.isdisjoint(ENGLISH)  # the same in both languages
