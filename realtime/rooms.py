"""The names of Socket.IO rooms: one member's sockets, one login's, one live session's.

Every module that joins, leaves or emits to a room takes its name from here (no other
realtime module is imported), so connection, broadcasts and revocation agree on them.
"""

from __future__ import annotations

import hashlib


def member_room(member_id: int) -> str:
    """The room holding every socket of one member, on whichever process holds it."""
    return f"member:{member_id}"


def login_room(token: str) -> str:
    """The room of every socket opened with one login (the token's hash, never the token,
    travels through Redis)."""
    return login_room_of(hashlib.sha256(token.encode()).hexdigest())


def login_room_of(digest: str) -> str:
    """The room of one login known by its stored hash (``LoginSession.token_hash``)."""
    return "login:" + digest


def session_room(session_id: int) -> str:
    """The room of one live session; sockets are put in it only after a membership check."""
    return f"session:{session_id}"
