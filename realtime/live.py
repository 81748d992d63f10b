"""The live room's Socket.IO handlers (``live:<verb>``), as documented in docs/realtime.md.

Every handler is parse → membership-checked domain call → log and commit → broadcast → ack,
and is registered by name in ``realtime.init_app``. Ids in payloads are only ever looked up
through the domain call, which answers a non-member as if the session did not exist; a
socket joins a session's room only after ``live:join`` passed that check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_socketio import join_room, leave_room
from sqlalchemy.exc import IntegrityError

from circles.errors import CirclesError, InvalidInput
from circles.extensions import db
from circles.growth import harvest
from circles.live import agenda, clearness, feedback, formats, log, notes, presence
from circles.live import phases as live
from circles.live.room import Change
from circles.live.snapshot import snapshot
from circles.models import CircleSession, User
from realtime import broadcast, processes
from realtime.acks import Ack, acked, acked_reading
from realtime.edge import (
    Payload,
    event_name,
    log_and_commit,
    me,
    payload,
    read_with_login,
    socket_id,
)
from realtime.rooms import session_room
from realtime.words import N_, say

Operation = Callable[[User, Payload], Change]

#: Events that make one change: each calls its domain operation with the payload's fields.
CHANGES: dict[str, Operation] = {
    "live:start": lambda me, p: live.start(db(), me, p.get("session_id")),
    "live:advance": lambda me, p: live.advance(db(), me, p.get("session_id"),
                                               expected_version=p.get("version")),
    "live:end": lambda me, p: end_and_harvest(me, p),
    "live:timer": lambda me, p: live.timer(db(), me, p.get("session_id"), p.get("action"),
                                           p.get("seconds"), minutes=p.get("minutes")),
    "live:prompt": lambda me, p: live.set_prompt(db(), me, p.get("session_id"), p.get("prompt")),
    "live:agenda_add": lambda me, p: agenda.add_item(
        db(), me, p.get("session_id"), p.get("title"), p.get("timebox_minutes", 10),
        p.get("question_id")),
    "live:agenda_rename": lambda me, p: agenda.rename_item(
        db(), me, p.get("session_id"), p.get("item_id"), p.get("title")),
    "live:agenda_remove": lambda me, p: agenda.remove_item(
        db(), me, p.get("session_id"), p.get("item_id")),
    "live:agenda_timebox": lambda me, p: agenda.timebox_item(
        db(), me, p.get("session_id"), p.get("item_id"), p.get("timebox_minutes")),
    "live:agenda_reorder": lambda me, p: agenda.reorder(
        db(), me, p.get("session_id"), p.get("item_ids")),
    "live:contribute": lambda me, p: agenda.contribute(
        db(), me, p.get("session_id"), p.get("kind"), p.get("text")),
    "live:contribution_edit": lambda me, p: agenda.edit_contribution(
        db(), me, p.get("session_id"), p.get("contribution_id"), p.get("text")),
    "live:stop": lambda me, p: clearness.stop(db(), me, p.get("session_id"),
                                              p.get("contribution_id")),
    "live:helped": lambda me, p: agenda.mark_helped(
        db(), me, p.get("session_id"), p.get("contribution_id"), p.get("helped")),
    "live:feedback": lambda me, p: feedback.give_feedback(
        db(), me, p.get("session_id"), p.get("receiver_id"), p.get("strength"),
        p.get("suggestion")),
    "live:commit": lambda me, p: feedback.commit(
        db(), me, p.get("session_id"), p.get("text"), p.get("due_on")),
    "live:commit_withdraw": lambda me, p: feedback.withdraw(
        db(), me, p.get("session_id"), p.get("commitment_id")),
    "live:review": lambda me, p: feedback.review(
        db(), me, p.get("session_id"), p.get("commitment_id"), p.get("status"),
        p.get("reflection", "")),
    "live:note": lambda me, p: notes.save_note(
        db(), me, p.get("session_id"), p.get("private"), p.get("body"), p.get("base_version")),
    "live:hand": lambda me, p: presence.hand(
        db(), me, p.get("session_id"), p.get("raised"), p.get("member_id")),
    "live:ready": lambda me, p: presence.ready(
        db(), me, p.get("session_id"), p.get("ready")),
    "live:take_over": lambda me, p: presence.take_over(
        db(), me, p.get("session_id"), grace=grace()),
    "live:take_back": lambda me, p: presence.take_back(db(), me, p.get("session_id")),
}


def end_and_harvest(user: User, fields: Payload) -> Change:
    """End the session, then deliver each helped person's harvest to them alone (growth
    journal and e-mail; nothing of it goes to the room)."""
    change = live.end(db(), user, fields.get("session_id"))
    harvest.deliver(db(), db().get_one(CircleSession, change.session_id),
                    formats.clients_of(db(), change.session_id))
    return change


def grace() -> float:
    """Seconds before a member without a connection counts as away (config)."""
    return float(current_app.config["LIVE_FACILITATOR_GRACE"])


def resume_limit() -> int:
    """Missing changes beyond which a client gets a snapshot instead of a replay (config)."""
    return int(current_app.config["LIVE_RESUME_LIMIT"])


@acked_reading(read_with_login)  # the login check and the session: one query
def on_change(data: Any = None) -> Ack:
    """Make one change to a live session: the event's operation in ``CHANGES``. A retry (an
    ``op_id`` the member already used in the session) gets the first answer again.

    The first answer is looked for only when this try fails: a retry whose change is made
    again cannot be logged twice (the log's unique key on the member's ``op_id``), and one
    that is refused (the note moved on meanwhile) may have been made already. A first try —
    nearly every event — reads nothing more than its change needs.
    """
    fields, user = payload(data), me()
    op = log.op_id(fields.get("op_id"))
    try:
        change = CHANGES[event_name()](user, fields)
        log_and_commit([change], author_id=user.id, op=op)
    except (CirclesError, IntegrityError):
        # Refused, or the same op_id was logged meanwhile (a retry racing its original).
        db().rollback()
        earlier = None if op is None else log.earlier_answer(
            db(), user, fields.get("session_id"), op)
        if earlier is None:
            raise
        db().rollback()  # the lookup's read: let go of the database
        return earlier
    broadcast.live_changes([change])
    return {"version": change.version, **change.result}


@acked
def on_join(data: Any = None) -> Ack:
    """Enter a session's room (membership checked first). The ack carries the snapshot or,
    for a client that says which version it ``after`` applied last, what it missed.

    The socket joins the room before the state is read: a change committed after the read
    is broadcast to it, one committed before is in what is read (the client drops what it
    gets twice by version).
    """
    fields = payload(data)
    change = presence.join(db(), me(), fields.get("session_id"), socket_id(),
                                away_grace=grace(), process_id=processes.current().id)
    join_room(session_room(change.session_id))
    log_and_commit([change], author_id=me().id)
    broadcast.live_changes([change])
    return state_after(change.session_id, fields.get("after"))


@acked
def on_leave(data: Any = None) -> Ack:
    """Leave a session's room on purpose (the room page is closed)."""
    change = presence.leave(db(), me(), payload(data).get("session_id"), socket_id(),
                            away_grace=grace())
    leave_room(session_room(change.session_id))
    log_and_commit([change], author_id=me().id)
    broadcast.live_changes([change])
    return {"version": change.version, **change.result}


@acked
def on_snapshot(data: Any = None) -> Ack:
    """Send the full state again, for a client that saw a gap in versions."""
    return state_after(payload(data).get("session_id"), None)


@acked
def on_events(data: Any = None) -> Ack:
    """The changes after version ``after`` (a gap to fill, or the quiet-time check), or a
    snapshot when the log cannot fill it."""
    fields = payload(data)
    if fields.get("after") is None:
        raise InvalidInput.field("after", say(N_("Give the last version you applied.")))
    return state_after(fields.get("session_id"), fields["after"])


@acked
def on_phase_order(data: Any = None) -> Ack:
    """Read, or (with ``phases``) set, the order of phases of a circle's next sessions."""
    fields = payload(data)
    circle_id = fields.get("circle_id")
    if "phases" in fields:
        phases = live.set_phase_order(db(), me(), circle_id, fields["phases"])
        db().commit()
        return {"phases": phases}
    return {"phases": live.phase_order_for_member(db(), me(), circle_id)}


def on_disconnect(*_reason: Any) -> None:
    """A closed socket leaves its rooms; the others see the member reconnecting."""
    changes = presence.disconnect(db(), socket_id(), away_grace=grace())
    log_and_commit(changes)
    broadcast.live_changes(changes)


def state_after(session_id: object, after: Any) -> Ack:
    """A snapshot, or with ``after`` (the last version the client applied) what it missed."""
    if after is None:
        state = snapshot(db(), me(), session_id, away_grace=grace())
        return {"version": state["version"], "snapshot": state}
    return log.catch_up(db(), me(), session_id, after, away_grace=grace(),
                             limit=resume_limit())
