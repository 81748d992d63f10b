"""Server processes holding live connections, and the sweep of those that died.

Each process registers a ``LiveProcess`` row and renews its ``beat_at`` every beat; every
``Presence`` row names the process holding that connection. A process killed without
closing its sockets stops beating: any other process (or itself, restarted) deletes its
row once the beat is ``stale_after`` old and then drops every connection no live process
claims, one presence change per connection, exactly as a disconnect would.

Two processes sweeping at once never count a connection twice: a process row goes by
``DELETE … RETURNING`` (only one of them gets it) and a session's connections are dropped
under its row lock, re-read after the lock is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from circles.live.presence import drop_connection
from circles.live.room import Change
from circles.models import CircleSession, LiveProcess, Presence, utcnow


class DeadProcess(NamedTuple):
    id: str
    host: str
    beat_at: datetime


def register(db: Session, process_id: str, host: str, *, now: datetime | None = None) -> None:
    """Add this process's row (or renew it, for a process that registers again)."""
    now = now or utcnow()
    if not beat(db, process_id, now=now):
        db.add(LiveProcess(id=process_id, host=host[:200], started_at=now, beat_at=now))
        db.flush()


def beat(db: Session, process_id: str, *, now: datetime | None = None) -> bool:
    """Renew this process's heartbeat; ``False`` when its row is gone (it was swept as
    dead, so its connections' presence was dropped: the caller must register again)."""
    done = db.execute(update(LiveProcess).where(LiveProcess.id == process_id)
                      .values(beat_at=now or utcnow()))
    return bool(getattr(done, "rowcount", 0))


def alive(db: Session, process_id: str, stale_before: datetime) -> bool:
    """Whether the process's row is there and it beat since ``stale_before``."""
    beat_at = db.scalar(select(LiveProcess.beat_at).where(LiveProcess.id == process_id))
    if beat_at is None:
        return False
    if beat_at.tzinfo is None:
        stale_before = stale_before.replace(tzinfo=None)
    return bool(beat_at >= stale_before)


#: Beats without a renewal after which a process counts as dead.
STALE_BEATS = 3


def checker(db: Session, config: Mapping[str, Any]) -> Callable[[str], bool]:
    """``alive(process_id)`` for this configuration's beat."""
    stale = utcnow() - timedelta(seconds=STALE_BEATS * float(config["LIVE_PROCESS_BEAT"]))
    return lambda process_id: alive(db, process_id, stale)


def reap(db: Session, stale_before: datetime) -> list[DeadProcess]:
    """Delete the rows of processes whose last beat is older than ``stale_before``; only the
    sweeper that deleted a row gets it back."""
    rows = db.execute(delete(LiveProcess).where(LiveProcess.beat_at < stale_before)
                      .returning(LiveProcess.id, LiveProcess.host, LiveProcess.beat_at))
    return [DeadProcess(*row) for row in rows]


def unregister(db: Session, process_id: str) -> None:
    """A process that shuts down cleanly removes its row (its connections become orphans)."""
    db.execute(delete(LiveProcess).where(LiveProcess.id == process_id))


def _orphaned() -> ColumnElement[bool]:
    """Connections that no registered process holds (or that predate process ids)."""
    return or_(Presence.process_id.is_(None),
               Presence.process_id.not_in(select(LiveProcess.id).scalar_subquery()))


def orphaned_sessions(db: Session) -> list[int]:
    """Sessions with connections no live process holds, in id order."""
    return list(db.scalars(select(Presence.session_id).where(_orphaned())
                           .distinct().order_by(Presence.session_id)))


def drop_orphans(db: Session, session_id: int, *, away_grace: float = 30.0,
                 now: datetime | None = None) -> list[Change]:
    """Drop one session's orphaned connections under its row lock: one presence change per
    connection, as ``live_presence.disconnect`` makes them (none if another sweeper was
    first)."""
    session = db.scalar(select(CircleSession).where(CircleSession.id == session_id)
                        .with_for_update().execution_options(populate_existing=True))
    if session is None:
        return []
    now = now or utcnow()
    orphans = list(db.scalars(select(Presence)
                              .where(Presence.session_id == session_id, _orphaned())
                              .order_by(Presence.id)
                              .execution_options(populate_existing=True)))
    return [drop_connection(db, session, presence, away_grace, now) for presence in orphans]
