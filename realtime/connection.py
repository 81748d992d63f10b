"""Connect, disconnect and whoami: only signed-in members get a socket, each in a personal
room, within their socket slots."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_socketio import join_room
from socketio.exceptions import ConnectionRefusedError

from realtime import flood, live, ownership, processes, revocation, slots, words
from realtime.acks import Ack, acked
from realtime.rooms import login_room, member_room
from realtime.words import N_, say

LOG_IN_FIRST = N_("Log in to Circles before connecting for live updates.")


def on_connect(auth: Any = None) -> None:
    """Refuse connect floods, anonymous and logged-out sockets and sockets over the member's
    or login's cap; put a member's sockets in their room and in their login's room (which a
    logout ends, docs/realtime.md)."""
    if not flood.admit_connect():  # before any database work
        raise ConnectionRefusedError(say(flood.TOO_MANY_CONNECTS))
    processes.started()  # this process is registered before it holds any connection
    # The session cookie of the handshake is checked like any page request: a revoked
    # login (logged out) no longer loads a user, so its replayed cookie is refused here.
    if not current_user.is_authenticated:
        raise ConnectionRefusedError(say(LOG_IN_FIRST))
    words.remember()  # the language of this socket's sentences, found once (realtime.words)
    wait = flood.cooldown_left(current_user.id)
    if wait:  # cut off for flooding a moment ago: reconnecting at once does not reset it
        raise ConnectionRefusedError(say(flood.COOLING_DOWN, seconds=wait))
    refusal = slots.take(current_user.id, current_user.get_id())
    if refusal is not None:  # one member's sockets cost every member threads and memory
        raise ConnectionRefusedError(refusal)
    try:
        revocation.opened()
        join_room(member_room(current_user.id))
        join_room(login_room(current_user.get_id()))
        flood.remember_member(current_user.id)
        ownership.connected()  # each later request of the connection re-checks the login
    except BaseException:  # refused after all: no disconnect will come to free the slots
        slots.give_back()
        raise
    if not slots.still_connected():  # closed while connecting: its disconnect found no slot
        slots.give_back()


def on_disconnect(*reason: Any) -> None:
    """A closed socket frees its slots, then leaves its rooms (``live.on_disconnect``)."""
    try:
        slots.give_back()
    finally:
        live.on_disconnect(*reason)


@acked
def whoami(_data: Any = None) -> Ack:
    """Tell a (re)connected client whose live updates it receives."""
    return {"member_id": current_user.id, "display_name": current_user.display_name}
