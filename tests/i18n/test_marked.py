"""Everything a person reads is marked for translation: template text and read attributes,
sentences in Python, and strings scripts put on the page (docs/languages.md).

Files not marked yet are listed in NOT_YET with how many strings they still hold: their
tests are expected failures (``pytest -ra`` lists them), and strict, so a file that gets
marked must leave the list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.i18n.marking import python_strings, script_strings, template_strings

ROOT = Path(__file__).resolve().parent.parent.parent

#: Python modules of these packages whose sentences are not marked yet (none since 2026-12-06;
#: kept so that a package's file could be listed again while it is being marked).
#: The JSON API (circles/api/) answers developers in English by design, and the demo's
#: content is member data, so neither is checked.
NOT_YET_PYTHON = sorted(
    str(path.relative_to(ROOT)) for package in (
        "members", "communities", "live", "formation", "network", "onboarding", "cli")
    for path in (ROOT / "circles" / package).rglob("*.py")
    if list(python_strings(path.read_text()))
)
#: Scripts whose strings are not marked yet (none: every script is).
NOT_YET_SCRIPTS: list[str] = []

TEMPLATES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html"))
#: Where sentences for people are written: the HTTP edge, the domain packages, the site
#: administration, the error hierarchy (models, config and the database layer hold none).
PYTHON = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "circles").rglob("*.py")
    if p.parent.name in {"views", "members", "sessions", "communities", "live", "formation",
                         "network", "growth", "notify", "onboarding", "cli"}
    or p.relative_to(ROOT).as_posix() in {"circles/admin.py", "circles/errors.py",
                                          "circles/languages.py"}) + sorted(
    # The Socket.IO edge's own sentences (realtime/words.py), but not the reference client's
    # exceptions (for programmers) nor the health checks' reasons (for operators).
    str(p.relative_to(ROOT)) for p in (ROOT / "realtime").glob("*.py")
    if not p.name.startswith("client") and p.name not in {"health.py", "heartbeat.py"})
SCRIPTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "static").rglob("*.js"))


def _param(path: str, not_yet: list[str]) -> object:
    if path in not_yet:
        return pytest.param(path, marks=pytest.mark.xfail(
            strict=True, reason=f"{path} is not marked for translation yet"))
    return path


@pytest.mark.parametrize("path", TEMPLATES)
def test_template_text_is_marked(path: str) -> None:
    unmarked = list(template_strings((ROOT / path).read_text()))
    assert unmarked == [], f"{path}: wrap these in {{{{ _(…) }}}}: {unmarked}"


@pytest.mark.parametrize("path", [_param(p, NOT_YET_PYTHON) for p in PYTHON])
def test_python_sentences_are_marked(path: str) -> None:
    unmarked = list(python_strings((ROOT / path).read_text()))
    assert unmarked == [], f"{path}: wrap these in _() or _l(): {unmarked}"


@pytest.mark.parametrize("path", [_param(p, NOT_YET_SCRIPTS) for p in SCRIPTS])
def test_script_strings_come_from_the_catalogue(path: str) -> None:
    unmarked = list(script_strings((ROOT / path).read_text()))
    assert unmarked == [], f"{path}: pass these through t() (static/i18n.js): {unmarked}"


@pytest.mark.parametrize(("finder", "sample", "found"), [
    (template_strings, "<p>Hello {{ name }}</p>", ["Hello"]),
    (template_strings, '<p>{{ _("Hello %(n)s", n=name) }}</p>', []),
    (template_strings, '<nav aria-label="Main">', ['aria-label="Main"']),
    (template_strings, "<nav aria-label=\"{{ _('Main') }}\">", []),
    (template_strings, "<script>var x = 'Not read';</script>{# A comment #}", []),
    (script_strings, 'el("p", { text: "Saved." })', ["Saved."]),
    (script_strings, 'el("p", { text: t("Saved."), class: "badge ready" })', []),
])
def test_the_finders_find_unmarked_text(finder: object, sample: str, found: list[str]) -> None:
    assert list(finder(sample)) == found  # type: ignore[operator]


def test_the_python_finder_finds_an_unmarked_flash() -> None:
    source = 'def f():\n    """Doc string."""\n    flash("Your details are saved.")\n' \
             '    flash(_("Marked one."))\n'
    assert list(python_strings(source)) == [(3, "Your details are saved.")]


def test_the_python_finder_leaves_technical_constants_alone() -> None:
    """A constant named in ``TECHNICAL_CONSTANTS`` (notes for developers, identifiers, stored
    words) is not text to mark; any other constant is."""
    source = 'POLICY = {"user": "deleted with every login"}\nNOTE = "Read by people."\n'
    assert list(python_strings(source)) == [(2, "Read by people.")]


def test_every_thing_not_found_has_its_own_sentence() -> None:
    """``NotFound(what)`` says "That … was not found." as one sentence per ``what``, so each
    language words it its own way: every ``what`` the code names has one (a missing one would
    fall back to "That page was not found.")."""
    from circles.errors import NOT_FOUND
    named: set[str] = set()
    for path in [*(ROOT / "circles").rglob("*.py"), *(ROOT / "realtime").rglob("*.py")]:
        text = path.read_text()
        named |= set(re.findall(r'NotFound\("([^"]+)"\)', text))
        # ``ident("x_id", …)`` raises NotFound for the noun its field names.
        for field, noun in re.findall(r'ident\("([a-z_]+)"[^)\n]*?(?:, "([a-z ]+)")?\)', text):
            named.add(noun or field.removesuffix("_id").replace("_", " "))
    assert len(named) > 20
    assert sorted(named - set(NOT_FOUND)) == []



def test_a_thing_not_found_is_said_in_the_readers_language(app: object) -> None:
    from flask import Flask

    from circles.errors import CircleClosed, NotFound
    assert isinstance(app, Flask)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert NotFound("circle").message == "Ese círculo no existe."
        assert NotFound("session").message == "Esa sesión no existe."
        assert CircleClosed(1).message.startswith("Este círculo se cerró")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert NotFound("circle").message == "That circle was not found."
        assert NotFound().message == "That page was not found."
    with app.test_request_context("/api/v1/circles/999", headers={"Accept-Language": "es"}):
        assert NotFound("circle").message == "That circle was not found."  # the API: English
