"""Every broadcast goes through here, called by edges after their commit."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_socketio import SocketIO

from realtime.connection import member_room


def _socketio() -> SocketIO:
    socketio: SocketIO = current_app.extensions["socketio"]
    return socketio


def to_member(member_id: int, event: str, data: dict[str, Any]) -> None:
    """Send ``event`` to every socket of one member, on whichever process holds it."""
    _socketio().emit(event, data, to=member_room(member_id))
