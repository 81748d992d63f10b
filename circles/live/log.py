"""The live sessions' numbered event log: what each change told the room, kept in order.

Socket.IO delivers at most once, so a client that was disconnected, or whose broadcast was
lost on the way (a message queue restarting), would miss changes for good. Every change that
bumps a session's version is therefore written here, in its own transaction and before it is
broadcast, as ``LiveEvent(seq=version)``. Versions are allocated under the session's row lock
(``session_for_member``), so changes commit in sequence order and a reader never sees seq
n + 1 committed while n is still to come.

A client keeps the last version it applied and asks for what follows (``catch_up``); a
client retrying an event sends the same ``op_id``, and ``earlier_answer`` gives it the
first answer instead of applying the change twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from circles.errors import InvalidInput
from circles.ids import is_id
from circles.live.room import Change, integer, iso, session_for_member
from circles.live.snapshot import private_view, snapshot
from circles.models import CircleSession, LiveEvent, User, utcnow

OP_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
#: More missing changes than this and a fresh snapshot is cheaper than the replay.
RESUME_LIMIT = 500

View = dict[str, Any]


def op_id(value: object) -> str | None:
    """The client's idempotency key for one change, if it sent one."""
    if value is None:
        return None
    if not isinstance(value, str) or not OP_ID.fullmatch(value):
        raise InvalidInput.field("op_id", _("Give 1 to 64 letters, digits or _ . : - "
                                            "(a key that names this one change)."))
    return value


def record(db: Session, change: Change, *, author_id: int | None = None,
           op: str | None = None) -> None:
    """Write a change into its session's log, in the change's own transaction.

    A change that told the room nothing (``change.change`` is None) bumped no version and is
    not logged. With ``op`` the ack's fields are kept, to answer a retry of the same event.
    """
    change.recorded = True
    if change.change is None:
        return
    fields = {"session_id": change.session_id, "seq": change.version, "change": change.change,
              "author_id": author_id, "op_id": op, "result": change.result if op else None}
    if not _bump_with_log(db, change, fields):
        db.add(LiveEvent(**fields))


def _bump_with_log(db: Session, change: Change, fields: dict[str, Any]) -> bool:
    """Write the session's new version and the log entry as plain statements, without the
    ORM's flush (its unit of work cost more than the two writes): on PostgreSQL one
    statement (``WITH bumped AS (UPDATE …) INSERT …``: each statement is a round trip to
    the server), on SQLite two (no writing CTEs there, and its statements are calls in this
    process). False when the session row is not the one the change bumped; the flush then
    writes the version, and the caller adds the entry."""
    session = db.get(CircleSession, change.session_id)  # loaded and locked: no query
    if session is None or session.version != change.version:
        return False
    set_committed_value(session, "version", change.version)  # written below, not by flush
    if db.get_bind().dialect.name != "postgresql":
        connection = db.connection()
        connection.execute(_LOG_ENTRY, fields)
        connection.execute(_VERSION, {"session": change.session_id,
                                      "new_version": change.version})
        return True
    bumped = (update(CircleSession).where(CircleSession.id == change.session_id)
              .values(version=change.version).returning(CircleSession.id).cte("bumped"))
    db.execute(insert(LiveEvent).add_cte(bumped).values(
        **{**fields, "session_id": select(bumped.c.id).scalar_subquery()}))
    return True


#: Run on the connection, not the session: no ORM execution around them.
_LOG_ENTRY = insert(LiveEvent)
_VERSION = (update(CircleSession).where(CircleSession.id == bindparam("session"))
            .values(version=bindparam("new_version")))


def earlier_answer(db: Session, user: User, session_id: object, op: str) -> View | None:
    """The first ack of the change ``user`` already made with ``op`` in this session, or None.

    One indexed read, no lock: a retry racing its original (both find nothing) is stopped by
    the unique key on (session, author, op_id) when it is logged, and the edge answers it from
    here then. A member who has left the circle is told nothing, as for any other event.
    """
    if not is_id(session_id):
        return None  # the operation explains the bad id
    event = db.scalar(select(LiveEvent).where(
        LiveEvent.session_id == session_id, LiveEvent.author_id == user.id,
        LiveEvent.op_id == op))
    if event is None:
        return None
    session_for_member(db, user.id, session_id, lock=False)  # still a member, or NotFound
    return {"version": event.seq, **(event.result or {}), "replayed": True}


def catch_up(db: Session, user: User, session_id: object, after: object, *,
             away_grace: float, limit: int = RESUME_LIMIT, now: datetime | None = None) -> View:
    """What a member who applied every change up to version ``after`` has missed.

    ``{"version", "events": [{"version", "change"}, …], "private", "server_now"}`` when the
    log holds every change since ``after`` (at most ``limit`` of them); otherwise a fresh
    ``{"version", "snapshot"}``. Changes committed after this read are broadcast to the
    caller's room, which the edge joins before calling.
    """
    session = session_for_member(db, user.id, session_id, lock=False)
    last_applied = integer("after", after, low=0, high=2**31 - 1)
    now = now or utcnow()
    version = session.version
    rows = list(db.execute(
        select(LiveEvent.seq, LiveEvent.change)
        .where(LiveEvent.session_id == session.id, LiveEvent.seq > last_applied)
        .order_by(LiveEvent.seq).limit(limit + 1)))
    seqs = [seq for seq, _ in rows]
    complete = (last_applied <= version and len(rows) <= limit
                and seqs == list(range(last_applied + 1, last_applied + 1 + len(seqs)))
                and (seqs[-1] if seqs else last_applied) >= version)
    if not complete:
        state = snapshot(db, user, session.id, away_grace=away_grace, now=now)
        return {"version": state["version"], "snapshot": state}
    return {"version": seqs[-1] if seqs else last_applied,
            "events": [{"version": seq, "change": change} for seq, change in rows],
            "private": private_view(db, session, user.id),
            "server_now": iso(now)}
