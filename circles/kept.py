"""Words kept in the database and read later, by someone whose language is not known when
they are written: a formation run's notes, why a member was set aside, why a run failed.

They are written where no reader is (the formation runner, a CLI command), so they are
written in every language Circles speaks at once (``in_every_language``) and stored as
``{code: text}`` (``keep``); a page, notice or command shows the reader's (``shown``), and
code that reads their meaning reads the English (``english``). Words kept before this
existed are plain English strings, and both readers take those as they are.

In memory such words are a ``Said``: a ``str`` that *is* the English text (so code that
compares, splits or searches it keeps working) and carries the other languages in ``said``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import force_locale

from circles.languages import DEFAULT, LANGUAGES, current_language

Kept = str | Mapping[str, str]


class Said(str):
    """English words that carry the same words in every language (``said``, by code)."""

    said: dict[str, str]

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> Said:
        made = cls(texts.get(DEFAULT) or next(iter(texts.values()), ""))
        made.said = dict(texts)
        return made


def each_in_every_language(write: Callable[[], list[str]]) -> list[Said]:
    """``write()``'s lines, each in every language Circles speaks (``write`` runs once per
    language inside ``force_locale`` and gives as many lines in each)."""
    lines: dict[str, list[str]] = {}
    for code in LANGUAGES:
        with force_locale(code):
            lines[code] = [str(line) for line in write()]
    return [Said.of({code: lines[code][k] for code in LANGUAGES})
            for k in range(len(lines[DEFAULT]))]


def in_every_language(write: Callable[[], object]) -> Said:
    """``write()`` once in each language Circles speaks (each inside ``force_locale``)."""
    return each_in_every_language(lambda: [str(write())])[0]


def keep(words: str) -> Kept:
    """What to store for ``words``: every language of a ``Said``; a plain string as it is."""
    return dict(words.said) if isinstance(words, Said) else str(words)


def recall(stored: Kept | None) -> str:
    """Stored words back in memory: a ``Said`` (or the plain string kept before)."""
    if isinstance(stored, Mapping):
        return Said.of(stored)
    return stored or ""


def shown(stored: Kept | None) -> str:
    """Stored (or in-memory) words in the reader's language, else in English."""
    if isinstance(stored, Said):
        stored = stored.said
    if isinstance(stored, Mapping):
        return stored.get(current_language()) or stored.get(DEFAULT) or ""
    return stored or ""


def english(stored: Kept | None) -> str:
    """Stored words in English: what code that reads their meaning reads."""
    if isinstance(stored, Mapping):
        return stored.get(DEFAULT) or ""
    return str(stored or "")


__all__ = ["Kept", "Said", "each_in_every_language", "english", "in_every_language", "keep",
           "recall", "shown"]
