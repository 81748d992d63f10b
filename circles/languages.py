"""Languages: which one each page, e-mail and notice is written in, and the catalogues.

Flask-Babel reads the compiled catalogues in ``translations/`` (``make setup`` compiles
them from the committed ``.po`` files; docs/languages.md says how to add a language). The
language of a request is, in order: the member's own choice (profile), the default language
of a community they belong to, the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.numbers import format_decimal
from flask import Flask, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.models import Community, Membership, User

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
#: Every language Circles is written in, by code, named in its own language (what a member
#: who reads it looks for in a list). English is the source language of the catalogues.
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"

babel = Babel()

#: The words stored as data that pages show as they are: roles, kinds, levels, statuses.
TERMS = {
    "member": _l("member"), "facilitator": _l("facilitator"),
    "timekeeper": _l("timekeeper"), "note_taker": _l("note-taker"),
    "pair": _l("pair"), "group": _l("group"),
    "emerging": _l("emerging"), "practised": _l("practised"), "expert": _l("expert"),
    "scheduled": _l("scheduled"), "live": _l("live"), "ended": _l("ended"),
    "cancelled": _l("cancelled"), "missed": _l("missed"),
    "draft": _l("draft"), "published": _l("published"), "discarded": _l("discarded"),
    "failed": _l("failed"),
    "requested": _l("requested"), "brokered": _l("brokered"), "accepted": _l("accepted"),
    "declined": _l("declined"), "withdrawn": _l("withdrawn"),
    "open": _l("open"), "kept": _l("kept"), "partly": _l("partly kept"),
    "dropped": _l("dropped"), "pending": _l("pending"), "active": _l("active"),
    "done": _l("done"),
}


def term(value: str) -> str:
    """A stored word (``facilitator``, ``pair``, ``practised``) in the reader's language;
    anything else as it is."""
    found = TERMS.get(value)
    return str(found) if found is not None else value


def either(names: list[str]) -> str:
    """Alternatives in the reader's language: "a", "a or b", "a, b or c".

    >>> either(["Mon 09:00–10:00", "Tue 12:00–13:00", "Fri 16:00–17:00"])
    'Mon 09:00–10:00, Tue 12:00–13:00 or Fri 16:00–17:00'
    """
    if len(names) <= 1:
        return "".join(names)
    return str(gettext("%(some)s or %(last)s", some=", ".join(names[:-1]), last=names[-1]))


def number(value: int) -> str:
    """A count the reader's way: "12,000" in English, "12.000" in Spanish.

    >>> number(12000)
    '12,000'
    """
    return str(format_decimal(value, locale=current_language()))


def known(code: str | None) -> str | None:
    """``code`` when Circles speaks it, else None (an old or hand-edited value)."""
    return code if code in LANGUAGES else None


def community_language(db: Session, user_id: int) -> str | None:
    """The default language of the first community the member belongs to that set one."""
    codes = db.scalars(select(Community.language).join(Membership)
                       .where(Membership.user_id == user_id, Community.language != "")
                       .order_by(Membership.joined_at, Membership.id))
    return next((c for c in codes if known(c)), None)


def language_of(db: Session, user: User) -> str:
    """The language to write to ``user`` in when no browser is asking (e-mails, notices):
    their choice, else their community's default, else English."""
    return known(user.language) or community_language(db, user.id) or DEFAULT


def _select_locale() -> str:
    from circles.extensions import db

    if not has_request_context():  # a CLI run or a worker: ``force_locale`` says which
        return DEFAULT
    if request.path.startswith("/api/"):  # the JSON API answers developers in English
        return DEFAULT
    if current_user and current_user.is_authenticated:
        chosen = known(current_user.language) or community_language(db(), current_user.id)
        if chosen:
            return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def _select_timezone() -> str | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        zone: str | None = current_user.timezone
        return zone
    return None


def current_language() -> str:
    """The language of this request (or of the ``writing_to`` block around it)."""
    return str(get_locale() or DEFAULT)


@cache
def script_messages() -> tuple[str, ...]:
    """Every string the scripts in static/ mark with ``t("…")``, as ``make messages`` finds
    them (read once per process)."""
    found: set[str] = set()
    for path in sorted((ROOT / "static").rglob("*.js")):
        for _line, message, _comments, _context in extract_from_file(
                "javascript", str(path), keywords={"t": None}):
            if isinstance(message, str):
                found.add(message)
    return tuple(sorted(found))


def script_catalogue() -> dict[str, str]:
    """The scripts' strings in this request's language (static/i18n.js reads them from the
    page); empty in English, where each string is its own translation."""
    if current_language() == DEFAULT:
        return {}
    return {message: gettext(message) for message in script_messages()}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    # WTForms' own messages stay English: PlainForm (circles/views/forms.py) turns each
    # into a sentence naming the field, in the reader's language.
    app.config.setdefault("WTF_I18N_ENABLED", False)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    app.add_template_global(current_language, "current_language")
    app.add_template_global(term, "term")
    app.add_template_global(script_catalogue, "script_catalogue")
    app.add_template_filter(term, "term")


__all__ = ["LANGUAGES", "TERMS", "current_language", "force_locale", "init_app", "language_of", "term"]
