"""Keyset pagination for every list: ``?limit=`` (1..100, default 20) and an opaque ``?cursor=``.

A cursor is the sort key of the last item served, base64url-encoded; the next page is
everything strictly after it, so a walk sees each item once even while rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import marshmallow as ma
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from circles.api.bodies import load_json
from circles.api.errors import ApiError
from circles.models import as_utc

LIMIT_PROBLEM = "Give a number from 1 to 100."
CURSOR_PROBLEM = "Use the next_cursor of the previous page, unchanged."
#: Longest cursor read: ours encode a timestamp and an id in under 100 characters.
MAX_CURSOR = 200


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(
        load_default=20, validate=ma.validate.Range(1, 100, error=LIMIT_PROBLEM),
        error_messages={"invalid": LIMIT_PROBLEM},
        metadata={"description": "Items per page, 1 to 100 (default 20)."})
    cursor = ma.fields.String(
        metadata={"description": "The next_cursor of the previous page; omit for the first."})


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The schema of one page of ``item``: ``{"items": [...], "next_cursor": str | null}``."""
    fields: dict[str, Any] = {
        "items": ma.fields.List(ma.fields.Nested(item), required=True),
        "next_cursor": ma.fields.String(
            required=True, allow_none=True,
            metadata={"description": "Pass as ?cursor= for the next page; null on the last."}),
    }
    return type(name, (ma.Schema,), fields)


def _encode(key: Sequence[Any]) -> str:
    plain = [as_utc(v).isoformat() if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, width: int, kinds: Sequence[type]) -> list[Any]:
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError(cursor)
        raw = load_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != width:
            raise ValueError(cursor)
        values = [datetime.fromisoformat(v) if kind is datetime else v
                  for v, kind in zip(raw, kinds, strict=True)]
        if not all(isinstance(v, kind) and not isinstance(v, bool)
                   for v, kind in zip(values, kinds, strict=True)):
            raise ValueError(cursor)
        if any(isinstance(v, int) and not 0 <= v < 2**31 for v in values):
            raise ValueError(cursor)
        return values
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error, OverflowError):
        raise ApiError(400, f"cursor: {CURSOR_PROBLEM}", field="cursor") from None


def paginate(db: Session, stmt: Select[Any], keys: Sequence[InstrumentedAttribute[Any]],
             *, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` ordered by ``keys`` (the last must be unique, e.g. the id),
    and the cursor of the next page (None on the last)."""
    if cursor is not None:
        kinds = [datetime if _is_datetime(k) else int for k in keys]
        stmt = stmt.where(_after(keys, _decode(cursor, len(keys), kinds)))
    rows = list(db.scalars(stmt.order_by(*keys).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _encode([getattr(rows[-1], key.key) for key in keys])


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


def _is_datetime(column: InstrumentedAttribute[Any]) -> bool:
    return column.type.python_type is datetime


def _after(keys: Sequence[InstrumentedAttribute[Any]], values: Sequence[Any]
           ) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (no row-value syntax, so it
    reads the same on SQLite and PostgreSQL)."""
    first, *rest = keys
    later: ColumnElement[bool] = first > values[0]
    if not rest:
        return later
    return or_(later, and_(first == values[0], _after(rest, values[1:])))
