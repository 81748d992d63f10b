"""What an id is, wherever one arrives: a segment of a URL or a field of a Socket.IO payload.

Every id is a positive whole number that fits its column: ids are 32-bit ``INTEGER`` columns
on PostgreSQL, so nothing above ``ID_MAX`` can name a row. A larger number (``2**63`` does
not even fit SQLite's integer and made the driver raise), a negative one, digits of another
script (``"١"`` is a digit to Python's ``\\d`` and ``int()``) or a word is answered like a
missing id, never passed on to a query.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, ValidationError

#: The largest id any table can hold (32-bit columns on PostgreSQL).
ID_MAX = 2**31 - 1


def is_id(value: object) -> bool:
    """Whether ``value`` (from a decoded payload) can be an id: an int from 1 to ``ID_MAX``.

    >>> [is_id(v) for v in (1, 2**31 - 1, 2**31, 0, -1, True, "1", 1.0)]
    [True, True, False, False, False, False, False, False]
    """
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX


class IdConverter(IntegerConverter):
    """The app's ``<int:…>``: ASCII digits only (at most 19 of them) and at most ``ID_MAX``.

    Registered as ``int`` for the whole URL map, so every route with an integer argument
    gets it. A URL whose segment is not such a number matches no route: 404, like any
    unknown page, before a view or a query runs.
    """

    regex = r"[0-9]{1,19}"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if not value.isascii():  # the regex says so already; never let int() read "١"
            raise ValidationError()
        return super().to_python(value)
