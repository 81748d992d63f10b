"""JSON a client sends — a request body, the JSON inside a pagination cursor — read so that no
crafted text reaches the rest of the server as an exception.

``json.loads`` alone accepts what the stack behind it cannot take: nesting as deep as the
text is long (100,000 ``[`` raise ``RecursionError``), integers of thousands of digits
(Python refuses to convert more than 4,300 with a ``ValueError``, and shorter ones are slow),
``NaN`` and ``Infinity`` (not JSON at all), and lone surrogates such as ``"\\ud800"`` (a
valid JSON escape with no UTF-8 encoding: the database driver raises on writing one, and
so does the encoder of the answer). ``load_json`` refuses each with a ``BadJson`` whose
message says what to send instead.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Deepest nesting accepted (a body of the API is one object of plain fields).
MAX_DEPTH = 32
#: Longest number accepted, in characters (a 64-bit integer has 20 with its sign).
MAX_NUMBER_CHARS = 40
TOO_DEEP = f"Nest objects and lists at most {MAX_DEPTH} levels deep."
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJson(ValueError):
    """JSON the API will not read; the message says why, in plain words."""


def load_json(raw: bytes | str) -> Any:
    """The value ``raw`` holds, or ``BadJson``.

    >>> load_json(b'{"status": "kept", "n": [1, 2.5, null]}')
    {'status': 'kept', 'n': [1, 2.5, None]}
    >>> load_json("[" * 100_000 + "]" * 100_000)
    Traceback (most recent call last):
    circles.api.bodies.BadJson: Nest objects and lists at most 32 levels deep.
    >>> load_json('"\\\\ud800"')
    Traceback (most recent call last):
    circles.api.bodies.BadJson: Text may not hold a lone surrogate (such as \\ud800): send real characters.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJson("Send the JSON as UTF-8 text.") from None
    try:
        value = json.loads(raw, parse_int=_integer, parse_float=_fraction,
                           parse_constant=_constant)
    except RecursionError:  # the decoder's own limit, far below a 100,000-deep text
        raise BadJson(TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        raise BadJson(f"That is not valid JSON ({exc.msg}, at character {exc.pos}).") from None
    _check(value)
    return value


def _short(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJson(f"Numbers may have at most {MAX_NUMBER_CHARS} characters "
                      f"(this one has {len(text)}).")
    return text


def _integer(text: str) -> int:
    return int(_short(text))


def _fraction(text: str) -> float:
    value = float(_short(text))
    if not math.isfinite(value):
        raise BadJson("That number is too large.")
    return value


def _constant(name: str) -> float:
    raise BadJson(f"{name} is not a JSON number: send a number, or null.")


def _check(value: Any) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and text (keys too) with a lone surrogate;
    iterative, so a deep value cannot exhaust the stack here either."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadJson(TOO_DEEP)
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                for key in item:
                    _text(key)
            pending.extend((child, depth + 1) for child in children)


def _text(text: str) -> None:
    if LONE_SURROGATE.search(text):
        raise BadJson("Text may not hold a lone surrogate (such as \\ud800): send real "
                      "characters.")
