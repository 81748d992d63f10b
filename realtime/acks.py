"""How every member event answers its ack: the one place domain errors become Socket.IO replies.

A handler returns a dict of results; the client gets ``{"ok": true, **results}``. A
``CirclesError`` becomes ``{"ok": false, "error": message}`` with the transaction rolled back,
so nothing partial is kept. The message is a sentence for people, never a field name; a
refused payload field (``InvalidInput``) is named apart, ``"field": name``, so a client shows
the sentence next to the control that sent it (docs/realtime.md, "Calling events").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import leave_room, rooms

from circles.errors import CirclesError, InvalidInput, NotFound
from circles.extensions import db
from circles.security_log import security_event
from realtime import busy, flood, green
from realtime.words import N_, say

Ack = dict[str, Any]
Handler = Callable[..., Ack | None]
#: A read run with an event's arguments before its login check (``acked``'s ``first``).
Prepare = Callable[..., None]

LOGIN_ENDED = N_("Your login has ended. Log in again to keep receiving live updates.")
UNEXPECTED = N_("Something went wrong on our side; please try again.")


def acked(handler: Handler, *, first: Prepare | None = None) -> Callable[..., Ack]:
    """Wrap a member's event handler so it always answers with an ``ok`` ack.

    Load shedding comes first: a process busy with many events answers "busy" at once,
    before any database work (``realtime.busy``); then, under gevent, the gate of a few
    events at a time (``realtime.green``), and flood control (``realtime.flood``). ``first``,
    if given, runs with the event's arguments just before the login check: a read that the
    check and the handler then answer from (``realtime.edge.read_with_login``).
    """

    @functools.wraps(handler)
    def answer(*args: Any) -> Ack:
        with busy.admit() as admitted:
            if not admitted:
                return busy.refusal()
            with green.gate():  # under gevent, a few at a time; counted in flight meanwhile
                refusal = flood.screen()
                if refusal is not None:
                    return {"ok": False, "error": refusal}
                if first is not None:
                    first(*args)
                return _answered(handler, args)

    answer.circles_acked = True  # type: ignore[attr-defined]  # (realtime.green)
    return answer


def acked_reading(first: Prepare) -> Callable[[Handler], Callable[..., Ack]]:
    """``acked`` with ``first``: for handlers whose login check and first query are one."""
    return functools.partial(acked, first=first)


def _answered(handler: Handler, args: tuple[Any, ...]) -> Ack:
    """The handler's answer. The login is checked again on every event: a socket whose login
    was revoked (logged out elsewhere) is taken out of its rooms, so no further broadcast
    reaches it, and is told why."""
    if not current_user.is_authenticated:
        _leave_all_rooms()
        return {"ok": False, "error": say(LOGIN_ENDED)}
    try:
        result = handler(*args)
    except CirclesError as exc:
        db().rollback()
        if isinstance(exc, NotFound):
            security_event("authz_fail", user=current_user.id,
                           socket_event=(getattr(request, "event", None) or {}).get("message"))
        return refusal_of(exc)
    return {"ok": True, **(result or {})}


def refusal_of(exc: CirclesError) -> Ack:
    """The ack for a domain error: its sentence and, for bad input, the field at fault."""
    if isinstance(exc, InvalidInput):
        return {"ok": False, "error": " ".join(exc.errors.values()),
                "field": next(iter(exc.errors))}
    return {"ok": False, "error": exc.message}


def _leave_all_rooms() -> None:
    sid = getattr(request, "sid", None)
    for room in rooms():
        if room != sid:
            leave_room(room)


def unexpected(exc: Exception) -> Ack:
    """Answer a handler's bug with a plain error ack (logged) instead of leaving the client
    waiting for an ack that never comes (the server's default error handler)."""
    db().rollback()
    current_app.logger.exception("socket event %r failed", getattr(request, "event", None))
    return {"ok": False, "error": say(UNEXPECTED)}
