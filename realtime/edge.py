"""What every Socket.IO edge shares: reading its payload and caller, and the step that logs
and commits live changes before they are broadcast.

An edge — a handler, the sweep of dead processes, a member leaving a circle — reads
parse → domain → log and commit → broadcast → ack, so the parse and the log-and-commit steps
live here and the broadcast in ``realtime.broadcast``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import request, session

from circles.errors import InvalidInput
from circles.extensions import current_member, db
from circles.live import log, room
from circles.members import logins
from circles.models import User
from realtime.ownership import SESSION_KEY
from realtime.words import N_, say

if TYPE_CHECKING:
    from circles.live.room import Change

Payload = dict[str, Any]


def payload(data: Any) -> Payload:
    """An event's fields: an object, or nothing (``None``) for an event without any."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput.field("payload", say(N_("Send an object with the event's fields.")))
    return data


def event_name() -> str:
    """The name of the Socket.IO event being handled (never taken from a payload)."""
    return str(request.event["message"])  # type: ignore[attr-defined]


def socket_id() -> str:
    """The server's id of this socket (never taken from a payload)."""
    return str(request.sid)  # type: ignore[attr-defined]


def me() -> User:
    """The member whose socket sent the event."""
    return current_member()


def read_with_login(data: Any = None, *_more: Any) -> None:
    """Before a change's login check, read the login of the socket's cookie and the session
    the payload names in one query (``room.read_with_login``): the login check
    (``load_login``, through Flask-Login's user loader) and the change's
    ``session_for_member`` answer from it. Decides nothing; a payload without a usable
    ``session_id`` reads nothing here."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str) and token and isinstance(data, dict):
        room.read_with_login(db(), logins.digest(token), data.get("session_id"))


def log_and_commit(changes: list[Change], *, author_id: int | None = None,
                   op: str | None = None) -> None:
    """Log each change in its session's event log, then commit: what an edge does before it
    broadcasts them (a broadcast is at most once; the log is what clients catch up from).
    ``author_id`` and ``op`` identify a member's event, for its retries."""
    for change in changes:
        log.record(db(), change, author_id=author_id, op=op)
    db().commit()
