"""The catalogues: every language is complete (nothing empty, nothing fuzzy, the same
placeholders as English), and the committed .po files hold exactly what a fresh extraction
of the code finds, so nothing marked is left untranslated (`make messages` redoes them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from circles.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# The same sources and keywords as babel.cfg and `make messages`.
SOURCES = {"circles": "python", "realtime": "python", "templates": "jinja2",
           "static": "javascript"}
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "t": None}
TRANSLATED = sorted(code for code in LANGUAGES if code != "en")


def catalogue(code: str) -> Catalog:
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def entries(code: str) -> list[Message]:
    return [m for m in catalogue(code) if m.id]


def fresh_extraction() -> set[str]:
    found: set[str] = set()
    for folder, method in SOURCES.items():
        pattern = {"jinja2": "**.html", "javascript": "**.js"}.get(method, "**.py")
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, [(pattern, method)], keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_language_has_a_catalogue() -> None:
    assert TRANSLATED == ["es"]
    for code in TRANSLATED:
        assert (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").is_file()


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_is_complete(code: str) -> None:
    untranslated = [m.id for m in entries(code)
                    if not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in entries(code) if m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_every_placeholder(code: str) -> None:
    wrong = []
    for m in entries(code):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"num"}
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - {"num"} != wanted:
                wrong.append((ids[0], text))
    assert wrong == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_matches_a_fresh_extraction(code: str) -> None:
    """Run `make messages` when this fails: it extracts and merges, then translate."""
    committed = {m.id[0] if isinstance(m.id, tuple) else m.id for m in entries(code)}
    fresh = fresh_extraction()
    assert sorted(fresh - committed) == [], "marked in the code, missing from the catalogue"
    assert sorted(committed - fresh) == [], "in the catalogue, no longer in the code"


def test_the_template_matches_the_catalogues() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(pot) if m.id}
    for code in TRANSLATED:
        assert template == {m.id[0] if isinstance(m.id, tuple) else m.id
                            for m in entries(code)}
