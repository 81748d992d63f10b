"""Languages: which one each page, e-mail and notice is written in, and the catalogues.

Flask-Babel reads the compiled catalogues in ``translations/`` (``make setup`` compiles
them from the committed ``.po`` files; docs/languages.md says how to add a language). The
language of a request is, in order: the member's own choice (profile), the default language
of a community they belong to, the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, force_locale, get_locale
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

    if current_user and current_user.is_authenticated:
        chosen = known(current_user.language) or community_language(db(), current_user.id)
        if chosen:
            return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def _select_timezone() -> str | None:
    if current_user and current_user.is_authenticated:
        zone: str | None = current_user.timezone
        return zone
    return None


def current_language() -> str:
    """The language of this request (or of the ``writing_to`` block around it)."""
    return str(get_locale() or DEFAULT)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    app.add_template_global(current_language, "current_language")


__all__ = ["LANGUAGES", "force_locale", "init_app", "language_of", "current_language"]
