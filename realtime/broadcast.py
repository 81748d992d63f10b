"""Every emit to clients goes through here; this module only emits, after the edge's commit.

A broadcast leaves the server in one of three ways:

1. **An edge calls a broadcast function after its commit.** HTTP views: a circle formed or
   joined (``placed_in_circle``), a formation run's progress (``formation_progress``), an
   introduction (``to_member``).
2. **A live change, logged and committed first.** The edge — a ``live:*`` handler
   (``realtime.live``), the sweep of dead processes (``realtime.processes``) or a member
   leaving a circle (``realtime.revocation.left_circle``) — writes each change to its
   session's event log and commits (``realtime.edge.log_and_commit``), then calls
   ``live_changes``. A broadcast is at most once; the log is what clients catch up from.
3. **An ORM ``after_commit`` hook**, for what any code path may commit: a new notification
   is pushed to its member (``realtime.notifications``), and the sockets of an account
   disabled or deleted are ended (``realtime.revocation``: an instruction to the server
   processes, never an event to clients).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, url_for
from flask_socketio import SocketIO

from realtime.rooms import member_room, session_room

if TYPE_CHECKING:
    from circles.live.room import Change
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


def live_changes(changes: list[Change]) -> None:
    """Tell each change's live session room what changed (one ``live:changed`` per change)
    and each member concerned their private part (``live:private``).

    Each change must be in its session's event log already (``realtime.edge.log_and_commit``):
    a broadcast is at most once, the log is what a client that missed it catches up from.
    """
    for change in changes:
        if not change.recorded:
            raise RuntimeError("A live change was broadcast before it was logged.")
        if change.change is not None:
            _socketio().emit("live:changed", {"session_id": change.session_id,
                                              "version": change.version,
                                              "change": change.change},
                             to=session_room(change.session_id))
        for member_id, data in change.private:
            to_member(member_id, "live:private", {"session_id": change.session_id,
                                                  "version": change.version, "change": data})
