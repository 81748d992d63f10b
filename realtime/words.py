"""The Socket.IO edge's own sentences (busy, too fast, your login ended …) in the member's
language, without reading the database for them.

A refusal such as "busy" comes before any query, so the member's language cannot be looked
up then. It is found once instead, when the socket connects (``remember``: the member's
choice, else their community's default, else the browser's ``Accept-Language``; the rules of
``circles.languages``), and kept with the connection's environ, which every later event of
the socket shares. A request that has no socket yet (a refused handshake, a transport
request) goes by its own ``Accept-Language``. Each sentence is translated once per process
and language, so saying it costs a dictionary lookup.

Sentences are marked ``N_("…")`` where they are defined: ``make messages`` extracts them,
and ``say`` translates them when they are said.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from flask import has_request_context, request
from flask_babel import force_locale, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from circles.languages import DEFAULT, LANGUAGES, current_language

LANGUAGE = "circles.language"  # environ key: the language of this connection's sentences


def N_(message: str) -> str:  # the name gettext's tools look for
    """Mark ``message`` for the catalogue without translating it where it is defined."""
    return message


def remember() -> None:
    """On connect, the member loaded: the language this socket's sentences will be in."""
    request.environ[LANGUAGE] = current_language()


def language_of(environ: Mapping[str, Any]) -> str:
    """The language remembered for a connection, else the one its request asks for."""
    chosen = environ.get(LANGUAGE)
    if chosen in LANGUAGES:
        return str(chosen)
    asked = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return asked.best_match(list(LANGUAGES)) or DEFAULT


def say(message: str, environ: Mapping[str, Any] | None = None, **params: object) -> str:
    """``message`` (marked ``N_``) in the language of this request's connection, or of
    ``environ``'s (English outside a request); ``%(name)s`` placeholders filled from
    ``params``."""
    if environ is None:
        environ = request.environ if has_request_context() else {}
    language = language_of(environ)
    text = message if language == DEFAULT else translated(language, message)
    return text % params if params else text


@functools.lru_cache(maxsize=256)
def translated(language: str, message: str) -> str:
    """``message`` in ``language`` (needs an app context; remembered for the process)."""
    with force_locale(language):
        return str(gettext(message))


__all__ = ["LANGUAGE", "N_", "language_of", "remember", "say", "translated"]
