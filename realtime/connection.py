"""Connect and disconnect: only signed-in members get a socket, each in a personal room."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_socketio import SocketIO, join_room


def member_room(member_id: int) -> str:
    return f"member:{member_id}"


def register(socketio: SocketIO) -> None:
    @socketio.on("connect")
    def on_connect(auth: Any = None) -> None:
        """Refuse anonymous sockets; put a member's sockets in their personal room."""
        if not current_user.is_authenticated:
            raise ConnectionRefusedError("Log in before connecting.")
        join_room(member_room(current_user.id))
