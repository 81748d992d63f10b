"""Every broadcast goes through here, called by edges after their commit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, url_for
from flask_socketio import SocketIO

from circles import live_log
from circles.extensions import db, orm
from realtime.rooms import member_room, session_room

if TYPE_CHECKING:
    from circles.live_room import Change
    from circles.models import Circle


def _socketio() -> SocketIO:
    socketio: SocketIO = current_app.extensions["socketio"]
    return socketio


def to_member(member_id: int, event: str, data: dict[str, Any]) -> None:
    """Send ``event`` to every socket of one member, on whichever process holds it."""
    _socketio().emit(event, data, to=member_room(member_id))


def placed_in_circle(circle: Circle, member_ids: list[int] | None = None) -> None:
    """Tell members they have been placed in ``circle``: by default everyone in a newly
    formed circle, or only ``member_ids`` (someone added to an existing circle)."""
    data = {"circle_id": circle.id, "name": circle.name,
            "url": url_for("circles.show", circle_id=circle.id)}
    targets = member_ids if member_ids is not None else [s.user_id for s in circle.current_seats]
    for member_id in targets:
        to_member(member_id, "circle_placed", data)


def formation_progress(user_id: int, run_id: int, fraction: float, *, done: bool = False,
                       error: str | None = None) -> None:
    """Tell the facilitator who started a formation run how far its solver has got
    (``fraction`` 0..1); ``done`` once it has finished, with ``error`` when it failed."""
    data: dict[str, Any] = {"run_id": run_id, "fraction": round(min(max(fraction, 0.0), 1.0), 3),
                            "done": done}
    if error is not None:
        data["error"] = error
    to_member(user_id, "formation_progress", data)


def commit_live(changes: list[Change], *, author_id: int | None = None,
                op: str | None = None) -> None:
    """Log each change in its session's event log, commit, then broadcast them — the one
    order every edge follows (a broadcast is at most once; the log is what clients catch
    up from). ``author_id`` and ``op`` identify a member's event, for its retries."""
    for change in changes:
        live_log.record(db(), change, author_id=author_id, op=op)
    orm.session.commit()
    for change in changes:
        live_changed(change)


def live_changed(change: Change) -> None:
    """Tell a live session's room what changed (one ``live:changed`` per change) and each
    member concerned their private part (``live:private``).

    The change must be in the session's event log already (``circles.live_log.record``):
    a broadcast is at most once, the log is what a client that missed it catches up from.
    """
    if not change.recorded:
        raise RuntimeError("A live change was broadcast before it was logged.")
    if change.change is not None:
        _socketio().emit("live:changed", {"session_id": change.session_id,
                                          "version": change.version, "change": change.change},
                         to=session_room(change.session_id))
    for member_id, data in change.private:
        to_member(member_id, "live:private", {"session_id": change.session_id,
                                              "version": change.version, "change": data})
